"""Phase 2: workers, scheduled jobs with retries and alerts, and the public API's rate limit."""

from .component import Workloads, WorkloadsArgs

__all__ = ["Workloads", "WorkloadsArgs"]
