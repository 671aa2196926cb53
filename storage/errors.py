"""The root of newsbot's exceptions.

NewsbotError
├── StorageError         the database file cannot be opened or upgraded
│   └── StoreLocked      another process already runs on this database
├── bot.errors.ConfigError   a setting is missing or malformed
└── bot.errors.ArticleError  an article file is unusable, with the reason
"""


class NewsbotError(Exception):
    """Anything newsbot reports to its user as one clear line."""


class StorageError(NewsbotError):
    """The database cannot be used."""


class StoreLocked(StorageError):
    """Another running newsbot holds this database."""
