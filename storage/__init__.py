"""The SQLite store of newsbot: articles, chats, feeds with their subscriptions, the outbox.

Importing the package loads only the error tree and the article values, so that the
parser and `NewsbotError` stay free of sqlite-utils; `Store` and `open_store` load
the database code on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.errors import NewsbotError, StorageError, StoreLocked
from storage.models import Article, Chat, Delivery, Feed, Image, Provider, Related

if TYPE_CHECKING:
    from storage.database import open_store
    from storage.store import Store

__all__ = [
    "Article",
    "Chat",
    "Delivery",
    "Feed",
    "Image",
    "NewsbotError",
    "Provider",
    "Related",
    "StorageError",
    "Store",
    "StoreLocked",
    "open_store",
]


def __getattr__(name: str) -> Any:
    """`Store` and `open_store`, imported when first asked for (PEP 562)."""
    if name == "Store":
        from storage.store import Store

        return Store
    if name == "open_store":
        from storage.database import open_store

        return open_store
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
