"""The inline buttons of /start, /topics and /topic: a page of topics, or one topic."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.foundation.translations import Words
from storage import Store

TOPICS_PER_PAGE = 8
CALLBACK_LIMIT = 64  # bytes of callback data Telegram keeps


class Keyboards:
    """Buttons that show, with a mark, which topics a feed follows.

    Callback data: `sub:<page>:<topic>` toggles a topic of a page, `page:<n>` turns
    the list, `one::<topic>` toggles the one topic of /topic; each after the `scope` of
    its feed (which chat and thread, when not the chat the buttons are in: see
    `targets.Target.scope`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def follows(self, feed_id: int, topic: str) -> bool:
        """Whether the feed follows this topic by name."""
        return topic.casefold() in self.store.feeds.subscriptions(feed_id)[1]

    def topics(
        self, words: Words, feed_id: int, page: int, scope: str = ""
    ) -> InlineKeyboardMarkup | None:
        """One page of known topics, the followed ones marked; none when no topic is known."""
        counts = self.store.topics.counts()
        if not counts:
            return None
        pages = (len(counts) + TOPICS_PER_PAGE - 1) // TOPICS_PER_PAGE
        page = min(max(page, 0), pages - 1)
        followed = set(self.store.feeds.subscriptions(feed_id)[1])
        rows = []
        for name, count in counts[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]:
            data = f"{scope}sub:{page}:{name}"
            if len(data.encode()) > CALLBACK_LIMIT:
                continue
            mark = "✅ " if name.casefold() in followed else ""
            rows.append([InlineKeyboardButton(f"{mark}{name} ({count})", callback_data=data)])
        turns = []
        if page > 0:
            turns.append(
                InlineKeyboardButton(
                    words.gettext("« Previous"), callback_data=f"{scope}page:{page - 1}"
                )
            )
        if page + 1 < pages:
            turns.append(
                InlineKeyboardButton(
                    words.gettext("Next »"), callback_data=f"{scope}page:{page + 1}"
                )
            )
        if turns:
            rows.append(turns)
        return InlineKeyboardMarkup(rows)

    def topic(
        self, words: Words, feed_id: int, topic: str, scope: str = ""
    ) -> InlineKeyboardMarkup | None:
        """Subscribe to (or unsubscribe from) one topic; none when its name is too long."""
        data = f"{scope}one::{topic}"
        if len(data.encode()) > CALLBACK_LIMIT:
            return None
        if self.follows(feed_id, topic):
            label = words.gettext("Unsubscribe from {topic}").format(topic=topic)
        else:
            label = words.gettext("Subscribe to {topic}").format(topic=topic)
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])
