"""Which feed a command or button acts on."""

from __future__ import annotations

from telegram import Update

from storage import Feed, Store


def feed_of(store: Store, update: Update) -> Feed:
    """The feed an update is about, its chat remembered (or reactivated) on the way.

    For now the chat the update came from, itself (thread 0); forum threads and
    `@chat` targets are decided here.
    """
    chat = update.effective_chat
    assert chat is not None
    store.chats.register(chat.id, chat.type, chat.title or chat.username)
    return store.feeds.ensure(chat.id)
