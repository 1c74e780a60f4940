from .component import Observability, ObservabilityArgs
from .rules import rule_files_in

__all__ = ["Observability", "ObservabilityArgs", "rule_files_in"]
