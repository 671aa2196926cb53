"""The SQLite store of newsbot: articles, chats, feeds with their subscriptions, the outbox."""

from storage.database import open_store
from storage.errors import NewsbotError, StorageError, StoreLocked
from storage.models import Article, Chat, Delivery, Feed, Image, Provider, Related
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
