"""The one exception type the CLI turns into a one-line error message."""


class DlgraderError(Exception):
    """A problem the user can fix; its message is shown as one line, without a traceback."""
