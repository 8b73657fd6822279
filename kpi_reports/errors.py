"""Errors meant for people: the CLI prints their message and exits non-zero, no traceback."""


class UserError(Exception):
    """A problem the user can fix (bad file, missing sheet, bad settings); message says how."""


class WorkbookError(UserError):
    """The workbook cannot be read as a team workbook."""
