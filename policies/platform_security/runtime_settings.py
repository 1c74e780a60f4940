"""The Pulumi runtime configured once per server thread, not once per request.

pulumi_policy's servicer starts every `Analyze`, `Remediate` and `AnalyzeStack` with
`_configure_runtime_settings`: it parses `PULUMI_CONFIG` from the environment, sets each key, inspects
the `Settings` signature and configures the runtime from `PULUMI_PROJECT`, `PULUMI_STACK`,
`PULUMI_DRY_RUN` and `PULUMI_ORGANIZATION`. The runtime's settings are context variables, so what a
call sets holds for the rest of its server thread; the next call on that thread with the same
environment sets the same again. Over a preview of prod that was 300 calls and a tenth of the pack's
CPU per resource.

`install()` wraps the method so that a thread runs it only when those environment variables differ from
what it last configured with. `policies/__main__.py` installs it in the pack's process;
tests/policies/test_conversion.py checks that the pack answers every request of the dev and prod
previews the same with and without it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pulumi_policy.policy

_INPUTS = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")
"""Everything `_configure_runtime_settings` reads."""


def _once_per_thread(configure: Callable[[Any], None]) -> Callable[[Any], None]:
    configured = threading.local()

    def configure_when_changed(servicer: Any) -> None:
        inputs = tuple(os.environ.get(name) for name in _INPUTS)
        if getattr(configured, "inputs", None) != inputs:
            configure(servicer)
            configured.inputs = inputs

    configure_when_changed.__wrapped__ = configure  # type: ignore[attr-defined]
    return configure_when_changed


def install() -> bool:
    """Wrap the servicer's runtime configuration (idempotent); False, and nothing changed, when the SDK
    no longer has it (tests/policies/test_conversion.py fails then)."""
    servicer = getattr(pulumi_policy.policy, "_PolicyAnalyzerServicer", None)
    configure = getattr(servicer, "_configure_runtime_settings", None)
    if servicer is None or configure is None:
        return False
    if not hasattr(configure, "__wrapped__"):
        servicer._configure_runtime_settings = _once_per_thread(configure)
    return True
