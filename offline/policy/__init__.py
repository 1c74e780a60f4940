"""The policy gate: runs a CrossGuard pack as its own process and talks to it like the Pulumi engine."""

from .gate import PolicyReport, Violation, run_policy_pack
from .pack import PolicyPackError

__all__ = ["PolicyPackError", "PolicyReport", "Violation", "run_policy_pack"]
