"""Errors that newsbot reports as one clear line (the tree is drawn in `storage.errors`)."""

from storage.errors import NewsbotError


class ConfigError(NewsbotError):
    """A setting is missing or malformed; the message names it and says why."""


class ArticleError(NewsbotError):
    """An article file cannot be used; the message is the human reason."""


class FolderUnreadable(NewsbotError):
    """The articles folder (or a subfolder) cannot be listed: its files are not gone, only
    unseen, so nothing is forgotten until it can be listed again."""
