"""Phase 2: workers, scheduled jobs with retries and alerts, and the public API's rate limit."""

from .alerts import FILES as RULE_FILES_DIR
from .component import Workloads, WorkloadsArgs

__all__ = ["RULE_FILES_DIR", "Workloads", "WorkloadsArgs"]
