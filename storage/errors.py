"""The root of newsbot's exceptions.

NewsbotError
├── StorageError         the database file cannot be opened or upgraded
│   ├── StoreLocked      another process already runs on this database
│   └── DatabaseRefused  the database as configured cannot be used: retrying will not help
│       ├── NoDatabase              no database file where one must already be
│       ├── DatabaseFolderUnusable  the database's folder is missing or not writable
│       └── SchemaTooNew            a newer newsbot wrote it (a migration unknown here)
├── bot.foundation.errors.ConfigError   a setting is missing or malformed
└── bot.foundation.errors.ArticleError  an article file is unusable, with the reason

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


class DatabaseRefused(StorageError):
    """The database as configured cannot be used; only the operator can fix it."""


class NoDatabase(DatabaseRefused):
    """There is no database file where a verb needs an existing one."""


class DatabaseFolderUnusable(DatabaseRefused):
    """The database's folder is missing or not writable (WAL needs files beside it)."""


class SchemaTooNew(DatabaseRefused):
    """A newer newsbot applied a migration this one does not know."""


def database_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked": another connection holds a write
    lock for longer than the busy timeout; the same work succeeds once it lets go."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(error)
