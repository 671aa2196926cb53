"""The root of newsbot's exceptions.

NewsbotError
├── StorageError         the database file cannot be opened or upgraded
│   └── StoreLocked      another process already runs on this database
├── bot.errors.ConfigError   a setting is missing or malformed
└── bot.errors.ArticleError  an article file is unusable, with the reason

sqlite3's own OperationalError is not wrapped: `database_busy` tells the one that means
"another connection holds the lock; try again" from the rest.
"""

import sqlite3


class NewsbotError(Exception):
    """Anything newsbot reports to its user as one clear line."""


class StorageError(NewsbotError):
    """The database cannot be used."""


class StoreLocked(StorageError):
    """Another running newsbot holds this database."""


def database_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked": another connection holds a write
    lock for longer than the busy timeout; the same work succeeds once it lets go."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(error)
