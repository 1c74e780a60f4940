"""The policy gate: runs a CrossGuard pack as its own process and talks to it like the Pulumi engine."""
