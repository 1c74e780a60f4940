"""Acceptance: the migration plan's phase gates, measured on a deployed stack.

`python -m acceptance STACK` reads the stack's outputs, works out which phases the stack has switched
on, measures every gate of those phases (never assumes one), and prints gate, measured value, target
and verdict. It exits 0 only when every gate passes; a gate it could not measure fails and says what it
needs. docs/acceptance.md explains each gate and how to read a failure.
"""
