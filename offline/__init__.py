"""Offline preview: run a stack under the Pulumi SDK's mocks, gate it with the policy pack, price it.

`python -m offline preview <stack>` is the way to try this project without a cloud account or the
Pulumi CLI. See docs/offline-preview.md.
"""

from . import lean_imports

lean_imports.install()  # before anything imports pulumi_kubernetes (see offline/lean_imports.py)
