"""The one error type of the `p1gen` commands."""


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 1."""
