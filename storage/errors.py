"""The root of newsbot's exceptions.

NewsbotError
├── StorageError         the database file cannot be opened or upgraded
│   ├── StoreLocked      another process already runs on this database
│   └── DatabaseRefused  the database as configured cannot be used: retrying will not help
│       ├── NoDatabase              no database file where one must already be
│       ├── DatabaseFolderUnusable  the database's folder is missing or not writable
│       └── SchemaTooNew            a newer newsbot wrote it (a migration unknown here)
├── bot.errors.ConfigError   a setting is missing or malformed
└── bot.errors.ArticleError  an article file is unusable, with the reason
"""


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
