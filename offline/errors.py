"""How the preview ends: its exit statuses and its error for bad input."""

EXIT_OK, EXIT_POLICY, EXIT_INPUT = 0, 1, 2
"""Passed; a mandatory policy is violated (as `pulumi preview` fails); the input is wrong."""


class InputError(Exception):
    """Bad input; printed as one message without a traceback (exit status 2)."""
