"""`python -m offline preview <stack>`."""

import gc
import sys

# A short-lived process that creates thousands of classes while it imports the provider SDKs: the
# cyclic collector's full passes over them cost an eighth of the preview's CPU and free almost
# nothing (peak memory +3 MB for prod without it). Reference counting still frees everything else.
gc.disable()

from .cli import main  # noqa: E402 (after the collector is off: the imports are most of the work)

sys.exit(main())
