"""The SQLite store of newsbot: articles, chats, subscriptions and the delivery outbox."""

from storage.database import open_store
from storage.errors import NewsbotError, StorageError, StoreLocked
from storage.models import Article, Chat, Delivery, Image, Provider, Related
from storage.store import Store

__all__ = [
    "Article",
    "Chat",
    "Delivery",
    "Image",
    "NewsbotError",
    "Provider",
    "Related",
    "StorageError",
    "Store",
    "StoreLocked",
    "open_store",
]
