"""`/filter`: a feed's minimum quality, muted words and required words."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.openings import command
from bot.chat.replies import reply_html
from bot.chat.targets import Target, Targets
from bot.foundation.translations import N_, Words
from storage import Feed, Store

MAX_WORD = 64  # characters in a muted or required word
# muted words, and required words, of one feed (`/import` too): each article is matched
# against every feed's words, and a chat's filters are for a few words, not a dictionary
MAX_FEED_WORDS = 100
TOO_MANY_MUTED = N_(
    "This chat mutes {count} words already, the most it may: unmute one first "
    "(/subscriptions lists them)."
)
TOO_MANY_REQUIRED = N_(
    "This chat requires {count} words already, the most it may: unrequire one first "
    "(/subscriptions lists them)."
)


def _usage(words: Words) -> str:
    return words.gettext(
        "Usage: /filter quality &lt;0-100&gt; | mute &lt;word&gt; | unmute &lt;word&gt; | "
        "require &lt;word&gt; | unrequire &lt;word&gt; | clear"
    )


def _action(args: tuple[str, ...]) -> tuple[str, str] | None:
    """`/filter`'s action (lower case) and the rest of its words; None when they make no
    valid filter command."""
    action = args[0].lower() if args else ""
    rest = " ".join(args[1:]).strip()
    if action == "quality" and rest.isdigit() and 0 <= int(rest) <= 100:
        return action, rest
    if action in ("mute", "unmute", "require", "unrequire") and rest and len(rest) <= MAX_WORD:
        return action, rest
    if action == "clear" and not rest:
        return action, rest
    return None


class FilterCommands:
    """The handler of `/filter [@chat] ...`; one instance per running bot."""

    def __init__(self, store: Store, targets: Targets) -> None:
        self.store = store
        self.targets = targets

    @command(_action, _usage, changes=True)
    async def filter_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        asked: tuple[str, str],
    ) -> None:
        """Per-chat filters: minimum quality, muted words, required words, clear."""
        action, rest = asked
        feed = target.feed
        if await self._full(update, words, feed, action, rest):
            return
        if action == "quality":
            self.store.feeds.set_min_quality(feed.id, int(rest) or None)
            text = words.gettext("Only articles of quality {quality} or more will come.")
            await reply_html(update, text.format(quality=int(rest)))
        elif action in ("mute", "unmute"):
            await self._mute(update, words, feed.id, action, rest)
        elif action in ("require", "unrequire"):
            await self._require(update, words, feed.id, action, rest)
        else:
            self.store.feeds.clear_filters(feed.id)
            self.store.settings.clear_required(feed.id)
            await reply_html(update, words.gettext("Filters cleared."))

    async def _full(self, update: Update, words: Words, feed: Feed, action: str, word: str) -> bool:
        """Whether the feed holds as many muted (or required) words as it may, so that
        another cannot be added; says so when it does."""
        if action == "mute":
            held, full = list(feed.muted), TOO_MANY_MUTED
        elif action == "require":
            held, full = self.store.settings.required(feed.id), TOO_MANY_REQUIRED
        else:
            return False
        if len(held) < MAX_FEED_WORDS or word.casefold() in held:
            return False
        await reply_html(update, words.gettext(full).format(count=len(held)))
        return True

    async def _mute(
        self, update: Update, words: Words, feed_id: int, action: str, word: str
    ) -> None:
        if action == "mute":
            self.store.feeds.mute(feed_id, word)
            text = words.gettext("Articles mentioning “{word}” will not be pushed here.")
        elif self.store.feeds.unmute(feed_id, word):
            text = words.gettext("“{word}” is no longer muted.")
        else:
            text = words.gettext("“{word}” was not muted.")
        await reply_html(update, text.format(word=escape(word, quote=False)))

    async def _require(
        self, update: Update, words: Words, feed_id: int, action: str, word: str
    ) -> None:
        if action == "require":
            self.store.settings.require(feed_id, word)
            text = words.gettext(
                "Only articles mentioning “{word}” (or another required word) will come."
            )
        elif self.store.settings.unrequire(feed_id, word):
            text = words.gettext("“{word}” is no longer required.")
        else:
            text = words.gettext("“{word}” was not required.")
        await reply_html(update, text.format(word=escape(word, quote=False)))
