"""`python -m offline preview <stack>`."""

import gc
import os
import sys

# A short-lived process that creates thousands of classes while it imports the provider SDKs: the
# cyclic collector's full passes over them cost an eighth of the preview's CPU and free almost
# nothing (peak memory +3 MB for prod without it). Reference counting still frees everything else.
gc.disable()

from .cli import main  # noqa: E402 (after the collector is off: the imports are most of the work)

status = main()
# Everything is written and the pack is stopped: leave without tearing down the interpreter (its
# modules, the SDK's idle executor threads), which took a sixth of the preview's wall time.
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
