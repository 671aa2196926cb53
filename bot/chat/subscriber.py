"""What subscribers do in Telegram: the commands that follow topics, and their buttons
(the listings are `listings`, filters `filters`, settings `setting_commands`)."""

from __future__ import annotations

import logging
from html import escape

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.chat.catalogue import SUBSCRIBER_COMMANDS
from bot.chat.keyboards import Keyboards
from bot.chat.languages import words_of
from bot.chat.openings import button, command, this_chat
from bot.chat.permissions import STALE_BUTTON
from bot.chat.replies import (
    close_topics,
    nothing_about,
    reply_html,
    topics_text,
    unless_unchanged,
)
from bot.chat.targets import Target, Targets
from bot.foundation.translations import Words
from storage import Store
from storage.models import Feed

log = logging.getLogger(__name__)

MAX_TOPICS = 20  # topics in one /subscribe or /unsubscribe
MAX_NAME = 64  # characters in a topic name


def _subscribe_usage(words: Words) -> str:
    return words.gettext(
        "Usage: /subscribe &lt;topic&gt;[, &lt;topic&gt;...] or /subscribe all "
        "(at most {topics} topics of {characters} characters)"
    ).format(topics=MAX_TOPICS, characters=MAX_NAME)


def _unsubscribe_usage(words: Words) -> str:
    return words.gettext("Usage: /unsubscribe &lt;topic&gt; or /unsubscribe all")


def _topic_args(args: tuple[str, ...]) -> list[str] | None:
    """Comma-separated topic names; None when there are none, too many or too long ones."""
    joined = " ".join(args)
    topics = list(dict.fromkeys(part.strip() for part in joined.split(",") if part.strip()))
    if not topics or len(topics) > MAX_TOPICS or any(len(topic) > MAX_NAME for topic in topics):
        return None
    return topics


def _changes_follows(data: str) -> bool:
    """A topic button changes what the feed follows; a page button only turns the list."""
    return not data.startswith("page:")


class Commands:
    """Handlers for the subscriber commands; one instance per running bot."""

    def __init__(self, store: Store, targets: Targets, keyboards: Keyboards) -> None:
        self.store = store
        self.targets = targets
        self.keyboards = keyboards

    @this_chat
    async def start_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Register the chat, greet, and offer topic buttons."""
        text = words.gettext(
            "Hello! I send you news articles from the topics you follow.\n"
            "Tap a topic below, or send /subscribe &lt;topic&gt;. /help lists every command."
        )
        markup = self.keyboards.topics(words, target.feed.id, 0, target.scope)
        await reply_html(update, text, markup)

    @this_chat
    async def help_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Every command with one line each."""
        lines = [
            f"/{name} {escape(words.gettext(text), quote=False)}"
            for name, text in SUBSCRIBER_COMMANDS
        ]
        await reply_html(update, "\n".join(lines))

    @command()
    async def topics_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Known topics with counts; buttons toggle the chat's subscription."""
        counts = self.store.topics.counts()
        if not counts:
            await reply_html(
                update,
                words.gettext("No articles yet, so no topics. /subscribe &lt;topic&gt; works."),
            )
            return
        markup = self.keyboards.topics(words, target.feed.id, 0, target.scope)
        await reply_html(update, topics_text(words, counts), markup)

    @command(_topic_args, _subscribe_usage, changes=True)
    async def subscribe_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        topics: list[str],
    ) -> None:
        """Follow one or several comma-separated topics, or all."""
        feed, chat = target.feed, target.called(words)
        if self._all_topics(feed, topics, follow=True):
            text = words.gettext("{chat} now follows every topic.")
            await reply_html(update, text.format(chat=chat))
            return
        self.store.feeds.subscribe(feed.id, topics)
        _log_follow(feed, "subscribed to", topics)
        known = {name.casefold() for name, _ in self.store.topics.counts()}
        names = escape(", ".join(topics), quote=False)
        if target.remote:
            lines = [
                words.gettext("Subscribed {chat} to {topics}.").format(chat=chat, topics=names)
            ]
        else:
            lines = [words.gettext("Subscribed to {topics}.").format(topics=names)]
        for topic in topics:
            if topic.casefold() not in known:
                lines.append(nothing_about(words, topic, close_topics(self.store, topic)))
        await reply_html(update, "\n".join(lines))

    @command(_topic_args, _unsubscribe_usage, changes=True)
    async def unsubscribe_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        topics: list[str],
    ) -> None:
        """Stop following topics, or all."""
        feed, chat = target.feed, target.called(words)
        if self._all_topics(feed, topics, follow=False):
            await reply_html(update, words.gettext("{chat} follows nothing now.").format(chat=chat))
            return
        removed = self.store.feeds.unsubscribe(feed.id, topics)
        if removed:
            _log_follow(feed, "unsubscribed from", topics)
        names = escape(", ".join(topics), quote=False)
        if removed:
            text = words.gettext("Unsubscribed from {topics}.")
        else:
            text = words.gettext("{chat} did not follow {topics}. See /subscriptions.")
        await reply_html(update, text.format(chat=chat, topics=names))

    @command()
    async def subscriptions_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """What this chat follows, and its filters."""
        feed = target.feed
        everything, topics = self.store.feeds.subscriptions(feed.id)
        if everything:
            follows = words.gettext("every topic")
        elif topics:
            names = self._display_names(topics)
            follows = ", ".join(names[:50])
            if len(names) > 50:
                more = len(names) - 50
                follows += words.ngettext(" and {count} more", " and {count} more", more).format(
                    count=more
                )
        else:
            follows = words.gettext("nothing yet (try /topics)")
        text = words.gettext("{chat} follows: {topics}")
        lines = [text.format(chat=target.called(words), topics=escape(follows, quote=False))]
        if feed.min_quality is not None:
            text = words.gettext("Minimum quality: {quality}")
            lines.append(text.format(quality=feed.min_quality))
        if feed.muted:
            muted = escape(", ".join(feed.muted), quote=False)
            lines.append(words.gettext("Muted words: {words}").format(words=muted))
        required = self.store.settings.required(feed.id)
        if required:
            needed = escape(", ".join(required), quote=False)
            lines.append(words.gettext("Required words: {words}").format(words=needed))
        await reply_html(update, "\n".join(lines))

    @command(changes=True)
    async def stop_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Stop all pushes to this chat."""
        self.store.feeds.stop(target.feed.id)
        _log_follow(target.feed, "stopped: unsubscribed from", ["all"])
        text = words.gettext("Stopped: {chat} follows nothing now. /subscribe to start again.")
        await reply_html(update, text.format(chat=target.called(words)))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pointer to /help for commands we do not know."""
        words = words_of(self.store, update)
        await reply_html(
            update, words.gettext("I don't know that command. /help lists what I can do.")
        )

    # --- buttons ----------------------------------------------------------------------

    @button(_changes_follows)
    async def button_pressed(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        query: CallbackQuery,
    ) -> None:
        """Inline buttons: `sub:<page>:<topic>` toggles, `page:<n>` turns the topic list."""
        feed, scope = target.feed, target.scope
        kind, _, rest = target.args[0].partition(":")
        if kind == "page" and rest.isdigit():
            await query.answer()
            markup = self.keyboards.topics(words, feed.id, int(rest), scope)
            await unless_unchanged(query.edit_message_reply_markup(markup))
            return
        if kind not in ("sub", "one"):
            await query.answer(words.gettext(STALE_BUTTON))
            return
        page, _, topic = rest.partition(":")
        following = self.keyboards.follows(feed.id, topic)
        if following:
            self.store.feeds.unsubscribe(feed.id, [topic])
            answer = words.gettext("Unsubscribed from {topic}")
        else:
            self.store.feeds.subscribe(feed.id, [topic])
            answer = words.gettext("Subscribed to {topic}")
        _log_follow(feed, "unsubscribed from" if following else "subscribed to", [topic])
        await query.answer(answer.format(topic=topic))
        markup = (
            self.keyboards.topic(words, feed.id, topic, scope)
            if kind == "one"
            else self.keyboards.topics(words, feed.id, int(page or 0), scope)
        )
        await unless_unchanged(query.edit_message_reply_markup(markup))

    def _all_topics(self, feed: Feed, topics: list[str], *, follow: bool) -> bool:
        """`all` alone: follow (or drop) every topic; whether the topics said that."""
        if [topic.casefold() for topic in topics] != ["all"]:
            return False
        self.store.feeds.set_all_topics(feed.id, follow)
        _log_follow(feed, "subscribed to" if follow else "unsubscribed from", ["all"])
        return True

    def _display_names(self, keys: list[str]) -> list[str]:
        names = {name.casefold(): name for name, _ in self.store.topics.counts()}
        return [names.get(key, key) for key in keys]


def _log_follow(feed: Feed, change: str, topics: list[str]) -> None:
    """One INFO line per subscription change, naming the chat and thread."""
    where = f"chat {feed.chat_id}" + (f" thread {feed.thread_id}" if feed.thread_id else "")
    log.info("%s %s %s", where, change, ", ".join(topics))
