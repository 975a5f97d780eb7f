"""The index stage's exceptions: each message says what to do next."""


class WartaIndexError(Exception):
    """Base class of index errors."""


class IndexNotFoundError(WartaIndexError):
    """There is no index yet."""


class IndexLockedError(WartaIndexError):
    """Another process is writing the index."""


class IndexOutdatedError(IndexNotFoundError):
    """The index was written by another Warta version (or is unreadable): rebuild it."""
