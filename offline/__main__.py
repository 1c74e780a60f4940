"""`python -m offline preview <stack>`."""

import sys

from .cli import main

sys.exit(main())
