"""The preview's error for bad input."""


class InputError(Exception):
    """Bad input; printed as one message without a traceback (exit status 2)."""
