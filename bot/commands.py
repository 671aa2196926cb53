"""What subscribers do in Telegram: commands and the inline buttons that go with them."""

from __future__ import annotations

import difflib
import logging
import time
from html import escape

from telegram import (
    BotCommand,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.rendering import render_listing
from storage import Feed, Store

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN = 1087968824  # telegram.constants.ChatID.ANONYMOUS_ADMIN
TOPICS_PER_PAGE = 8
LISTING_SIZE = 10
ADMIN_CACHE_SECONDS = 60.0
MAX_TOPICS = 20  # topics in one /subscribe or /unsubscribe
MAX_NAME = 64  # characters in a topic name or a muted word
MAX_SEARCH = 200  # characters of /search words

SUBSCRIBER_COMMANDS = [
    ("start", "register this chat and pick topics"),
    ("help", "every command, one line each"),
    ("topics", "known topics; buttons follow or drop them"),
    ("topic", "<name>: the newest articles of a topic"),
    ("subscribe", "<topic>[, <topic>...] or all: follow topics"),
    ("unsubscribe", "<topic> or all: stop following"),
    ("subscriptions", "what this chat follows, and its filters"),
    ("filter", "quality <0-100> | mute <word> | unmute <word> | clear"),
    ("latest", "[n]: the newest n articles of your topics (default 5, max 20)"),
    ("search", "<words>: find articles by title and excerpt"),
    ("stop", "stop all pushes to this chat"),
]
ADMIN_COMMANDS = [
    ("stats", "subscribers, articles, pushes, errors"),
    ("broadcast", "<text>: a message to every active chat"),
    ("pause", "hold all pushes"),
    ("resume", "release held pushes"),
    ("errors", "the latest bad article files and why"),
]


def bot_commands(entries: list[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, text[:256]) for name, text in entries]


class Commands:
    """Handlers for the subscriber commands; one instance per running bot."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._admin_cache: dict[tuple[int, int], tuple[float, bool]] = {}

    # --- shared checks ----------------------------------------------------------------

    def feed_of(self, update: Update) -> Feed:
        """The feed an update is about, its chat remembered (or reactivated) on the way.

        For now the chat itself (thread 0); forum threads and `@chat` targets go here.
        """
        chat = update.effective_chat
        assert chat is not None
        self.store.chats.register(chat.id, chat.type, chat.title or chat.username)
        return self.store.feeds.ensure(chat.id)

    async def may_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Anyone in private; in groups, administrators, the creator and anonymous admins."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type == ChatType.PRIVATE:
            return True
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # an anonymous admin writes as the group
        if user is None:
            return False
        key = (chat.id, user.id)
        cached = self._admin_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except BadRequest:
            return False
        allowed = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        self._admin_cache[key] = (time.monotonic(), allowed)
        return allowed

    async def refuse_unless_allowed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> bool:
        """True when the sender may change this chat; else says so politely."""
        if await self.may_change(update, context):
            return True
        await reply_html(update, "Sorry, only this group's administrators can change that.")
        return False

    # --- commands ---------------------------------------------------------------------

    async def start_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Register the chat, greet, and offer topic buttons."""
        feed = self.feed_of(update)
        text = (
            "Hello! I send you news articles from the topics you follow.\n"
            "Tap a topic below, or send /subscribe &lt;topic&gt;. /help lists every command."
        )
        await reply_html(update, text, self._topics_keyboard(feed.id, 0))

    async def help_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every command with one line each."""
        self.feed_of(update)
        lines = [f"/{name} {escape(text, quote=False)}" for name, text in SUBSCRIBER_COMMANDS]
        await reply_html(update, "\n".join(lines))

    async def topics_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Known topics with counts; buttons toggle the chat's subscription."""
        feed = self.feed_of(update)
        counts = self.store.topic_counts()
        if not counts:
            await reply_html(
                update, "No articles yet, so no topics. /subscribe &lt;topic&gt; works."
            )
            return
        await reply_html(update, _topics_text(counts), self._topics_keyboard(feed.id, 0))

    async def topic_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The newest articles of one topic, with a Subscribe/Unsubscribe button."""
        feed = self.feed_of(update)
        name = " ".join(context.args or []).strip()
        if not name or len(name) > MAX_NAME:
            await reply_html(update, "Usage: /topic &lt;name&gt;, for example /topic AI")
            return
        items = self.store.latest(LISTING_SIZE, [name])
        text = (
            render_listing(items, f"Newest in {name}")
            if items
            else _nothing_about(name, self._close_topics(name))
        )
        await reply_html(update, text, self._topic_button(feed.id, name))

    async def subscribe_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Follow one or several comma-separated topics, or all."""
        feed = self.feed_of(update)
        topics = _topic_args(context.args)
        if not topics:
            await reply_html(
                update,
                "Usage: /subscribe &lt;topic&gt;[, &lt;topic&gt;...] or /subscribe all "
                f"(at most {MAX_TOPICS} topics of {MAX_NAME} characters)",
            )
            return
        if not await self.refuse_unless_allowed(update, context):
            return
        if [topic.casefold() for topic in topics] == ["all"]:
            self.store.feeds.set_all_topics(feed.id, True)
            await reply_html(update, "This chat now follows every topic.")
            return
        self.store.feeds.subscribe(feed.id, topics)
        known = {name.casefold() for name, _ in self.store.topic_counts()}
        lines = ["Subscribed to " + escape(", ".join(topics), quote=False) + "."]
        for topic in topics:
            if topic.casefold() not in known:
                lines.append(_nothing_about(topic, self._close_topics(topic)))
        await reply_html(update, "\n".join(lines))

    async def unsubscribe_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop following topics, or all."""
        feed = self.feed_of(update)
        topics = _topic_args(context.args)
        if not topics:
            await reply_html(update, "Usage: /unsubscribe &lt;topic&gt; or /unsubscribe all")
            return
        if not await self.refuse_unless_allowed(update, context):
            return
        if [topic.casefold() for topic in topics] == ["all"]:
            self.store.feeds.set_all_topics(feed.id, False)
            await reply_html(update, "This chat follows nothing now.")
            return
        removed = self.store.feeds.unsubscribe(feed.id, topics)
        names = escape(", ".join(topics), quote=False)
        if removed:
            await reply_html(update, f"Unsubscribed from {names}.")
        else:
            await reply_html(update, f"This chat did not follow {names}. See /subscriptions.")

    async def subscriptions_command(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """What this chat follows, and its filters."""
        feed = self.feed_of(update)
        everything, topics = self.store.feeds.subscriptions(feed.id)
        if everything:
            follows = "every topic"
        elif topics:
            names = self._display_names(topics)
            follows = ", ".join(names[:50]) + (
                f" and {len(names) - 50} more" if len(names) > 50 else ""
            )
        else:
            follows = "nothing yet (try /topics)"
        lines = [f"This chat follows: {escape(follows, quote=False)}"]
        if feed.min_quality is not None:
            lines.append(f"Minimum quality: {feed.min_quality}")
        if feed.muted:
            lines.append("Muted words: " + escape(", ".join(feed.muted), quote=False))
        await reply_html(update, "\n".join(lines))

    async def filter_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Per-chat filters: minimum quality, muted words, clear."""
        feed = self.feed_of(update)
        args = context.args or []
        action = args[0].lower() if args else ""
        rest = " ".join(args[1:]).strip()
        usage = (
            "Usage: /filter quality &lt;0-100&gt; | mute &lt;word&gt; | unmute &lt;word&gt; | clear"
        )
        if action == "quality" and rest.isdigit() and 0 <= int(rest) <= 100:
            if await self.refuse_unless_allowed(update, context):
                self.store.feeds.set_min_quality(feed.id, int(rest) or None)
                await reply_html(update, f"Only articles of quality {int(rest)} or more will come.")
        elif action in ("mute", "unmute") and rest and len(rest) <= MAX_NAME:
            if await self.refuse_unless_allowed(update, context):
                await self._mute(update, feed.id, action, rest)
        elif action == "clear" and not rest:
            if await self.refuse_unless_allowed(update, context):
                self.store.feeds.clear_filters(feed.id)
                await reply_html(update, "Filters cleared.")
        else:
            await reply_html(update, usage)

    async def _mute(self, update: Update, feed_id: int, action: str, word: str) -> None:
        shown = escape(word, quote=False)
        if action == "mute":
            self.store.feeds.mute(feed_id, word)
            await reply_html(update, f"Articles mentioning “{shown}” will not be pushed here.")
        elif self.store.feeds.unmute(feed_id, word):
            await reply_html(update, f"“{shown}” is no longer muted.")
        else:
            await reply_html(update, f"“{shown}” was not muted.")

    async def latest_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The newest n articles of the chat's topics (of all topics when it follows none)."""
        feed = self.feed_of(update)
        args = context.args or []
        if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= 20)):
            await reply_html(update, "Usage: /latest [n], n from 1 to 20")
            return
        count = int(args[0]) if args else 5
        everything, topics = self.store.feeds.subscriptions(feed.id)
        items = self.store.latest(count, [] if everything else topics)
        if not items:
            await reply_html(update, "No articles yet.")
            return
        await reply_html(update, render_listing(items, "Latest"))

    async def search_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Full-text search over titles and excerpts, newest first."""
        self.feed_of(update)
        words = " ".join(context.args or []).strip()
        if not words or len(words) > MAX_SEARCH:
            await reply_html(
                update, f"Usage: /search &lt;words&gt; (at most {MAX_SEARCH} characters)"
            )
            return
        items = self.store.search(words, LISTING_SIZE)
        if not items:
            await reply_html(update, f"Nothing found for “{escape(words, quote=False)}”.")
            return
        await reply_html(update, render_listing(items, f"Found for “{words}”"))

    async def stop_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop all pushes to this chat."""
        feed = self.feed_of(update)
        if not await self.refuse_unless_allowed(update, context):
            return
        self.store.feeds.stop(feed.id)
        await reply_html(
            update, "Stopped: this chat follows nothing now. /subscribe to start again."
        )

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pointer to /help for commands we do not know."""
        await reply_html(update, "I don't know that command. /help lists what I can do.")

    # --- buttons ----------------------------------------------------------------------

    async def button_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Inline buttons: `sub:<page>:<topic>` toggles, `page:<n>` turns the topic list."""
        query = update.callback_query
        assert query is not None and query.data is not None
        feed = self.feed_of(update)
        kind, _, rest = query.data.partition(":")
        if kind == "page" and rest.isdigit():
            await query.answer()
            await query.edit_message_reply_markup(self._topics_keyboard(feed.id, int(rest)))
            return
        if kind not in ("sub", "one"):
            await query.answer("This button is no longer valid.")
            return
        if not await self.may_change(update, context):
            await query.answer("Only this group's administrators can change that.")
            return
        page, _, topic = rest.partition(":")
        following = self._follows(feed.id, topic)
        if following:
            self.store.feeds.unsubscribe(feed.id, [topic])
        else:
            self.store.feeds.subscribe(feed.id, [topic])
        await query.answer(("Unsubscribed from " if following else "Subscribed to ") + topic)
        markup = (
            self._topic_button(feed.id, topic)
            if kind == "one"
            else self._topics_keyboard(feed.id, int(page or 0))
        )
        await query.edit_message_reply_markup(markup)

    def _follows(self, feed_id: int, topic: str) -> bool:
        return topic.casefold() in self.store.feeds.subscriptions(feed_id)[1]

    def _topics_keyboard(self, feed_id: int, page: int) -> InlineKeyboardMarkup | None:
        counts = self.store.topic_counts()
        if not counts:
            return None
        pages = (len(counts) + TOPICS_PER_PAGE - 1) // TOPICS_PER_PAGE
        page = min(max(page, 0), pages - 1)
        followed = set(self.store.feeds.subscriptions(feed_id)[1])
        rows = []
        for name, count in counts[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]:
            data = f"sub:{page}:{name}"
            if len(data.encode()) > 64:  # Telegram's limit for callback data
                continue
            mark = "✅ " if name.casefold() in followed else ""
            rows.append([InlineKeyboardButton(f"{mark}{name} ({count})", callback_data=data)])
        turns = []
        if page > 0:
            turns.append(InlineKeyboardButton("« Previous", callback_data=f"page:{page - 1}"))
        if page + 1 < pages:
            turns.append(InlineKeyboardButton("Next »", callback_data=f"page:{page + 1}"))
        if turns:
            rows.append(turns)
        return InlineKeyboardMarkup(rows)

    def _topic_button(self, feed_id: int, topic: str) -> InlineKeyboardMarkup | None:
        data = f"one::{topic}"
        if len(data.encode()) > 64:
            return None
        label = ("Unsubscribe from " if self._follows(feed_id, topic) else "Subscribe to ") + topic
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])

    def _close_topics(self, topic: str) -> list[str]:
        names = {name.casefold(): name for name, _ in self.store.topic_counts()}
        close = difflib.get_close_matches(topic.casefold(), list(names), n=3, cutoff=0.6)
        return [names[key] for key in close]

    def _display_names(self, keys: list[str]) -> list[str]:
        names = {name.casefold(): name for name, _ in self.store.topic_counts()}
        return [names.get(key, key) for key in keys]


def _topic_args(args: list[str] | None) -> list[str]:
    """Comma-separated topic names; none at all when there are too many or too long ones."""
    joined = " ".join(args or [])
    topics = list(dict.fromkeys(part.strip() for part in joined.split(",") if part.strip()))
    if len(topics) > MAX_TOPICS or any(len(topic) > MAX_NAME for topic in topics):
        return []
    return topics


def _topics_text(counts: list[tuple[str, int]]) -> str:
    lines = ["<b>Topics</b> (articles):"]
    lines += [f"{escape(name, quote=False)} ({count})" for name, count in counts[:50]]
    if len(counts) > 50:
        lines.append(f"… and {len(counts) - 50} more")
    return "\n".join(lines)


def _nothing_about(topic: str, close: list[str]) -> str:
    text = (
        f"No articles about “{escape(topic, quote=False)}” yet; you will get them when they come."
    )
    if close:
        text += " Did you mean: " + escape(", ".join(close), quote=False) + "?"
    return text


async def reply_html(
    update: Update, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat of an update, HTML, without quoting the command."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(html, reply_markup=markup, do_quote=False)
