"""Which language an answer is in: the `language` setting of the feed it is shown in
(the chat, or its forum topic, the update came from), else the sender's Telegram language."""

from __future__ import annotations

from telegram import Update

from bot.chat.targets import thread_of
from bot.foundation.translations import Words, words_for
from storage import Store


def words_of(store: Store, update: Update) -> Words:
    """The words to answer this update in."""
    return words_for(update, language_setting(store, update))


def language_setting(store: Store, update: Update) -> str | None:
    """The `language` setting of the feed an update is answered in; None when unset."""
    chat = update.effective_chat
    if chat is None:
        return None
    return store.settings.language(chat.id, thread_of(update))
