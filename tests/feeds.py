"""Reading and setting a chat's own feed (thread 0) in tests, by chat id."""

from __future__ import annotations

from storage import Store


def feed_of(store: Store, chat_id: int) -> int:
    """The id of a registered chat's own feed."""
    return store.feeds.ensure(chat_id).id


def follows(store: Store, chat_id: int) -> tuple[bool, list[str]]:
    """What the chat's own feed follows; nothing when the chat has no feed."""
    feed = store.feeds.find(chat_id)
    return (False, []) if feed is None else store.feeds.subscriptions(feed.id)


def follow(store: Store, chat_id: int, topics: list[str], chat_type: str = "private") -> int:
    """Register the chat and subscribe its own feed; returns the feed id."""
    store.chats.register(chat_id, chat_type, None)
    feed = store.feeds.ensure(chat_id)
    store.feeds.subscribe(feed.id, topics)
    return feed.id
