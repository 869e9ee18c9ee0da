"""Errors the user sees: each carries a one-line message naming the file and place."""


class PapershelfError(Exception):
    """A problem the user can act on; its message is shown as is, without a traceback."""


class ListingError(PapershelfError):
    """An import file that cannot be read; nothing was written."""


class ExportError(PapershelfError):
    """An export that could not be written; any existing file is untouched."""


class LibraryError(PapershelfError):
    """The library file cannot be opened (newer schema, not a library, damaged)."""


class NotFoundError(PapershelfError):
    """An id, list, tag or note that does not exist."""


class ConflictError(PapershelfError):
    """A change that would break a uniqueness rule, such as a taken citation key."""
