"""What readers ask of the articles: `/topic`, `/latest` and `/search` (`/top`, which
takes the feed's settings into account, is with them in `setting_commands`)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.keyboards import Keyboards
from bot.chat.openings import command, this_chat
from bot.chat.replies import close_topics, nothing_about, reply_html
from bot.chat.subscriber import MAX_NAME
from bot.chat.targets import Target, Targets, one_number
from bot.delivery.rendering import render_listing
from bot.foundation.translations import Words
from storage import Store

LISTING_SIZE = 10
MAX_SEARCH = 200  # characters of /search words


def _latest_usage(words: Words) -> str:
    return words.gettext("Usage: /latest [n], n from 1 to 20")


class ListingCommands:
    """Handlers for the commands that list articles; one instance per running bot."""

    def __init__(self, store: Store, targets: Targets, keyboards: Keyboards) -> None:
        self.store = store
        self.targets = targets
        self.keyboards = keyboards

    @this_chat
    async def topic_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """The newest articles of one topic, with a Subscribe/Unsubscribe button."""
        name = " ".join(context.args or []).strip()
        if not name or len(name) > MAX_NAME:
            await reply_html(
                update, words.gettext("Usage: /topic &lt;name&gt;, for example /topic AI")
            )
            return
        items = self.store.listing.latest(LISTING_SIZE, [name])
        text = (
            render_listing(items, words.gettext("Newest in {topic}").format(topic=name))
            if items
            else nothing_about(words, name, close_topics(self.store, name))
        )
        markup = self.keyboards.topic(words, target.feed.id, name, target.scope)
        await reply_html(update, text, markup)

    @command(one_number(5, 20), _latest_usage)
    async def latest_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        count: int,
    ) -> None:
        """The newest n articles of the chat's topics (of all topics when it follows none)."""
        everything, topics = self.store.feeds.subscriptions(target.feed.id)
        items = self.store.listing.latest(count, [] if everything else topics)
        if not items:
            await reply_html(update, words.gettext("No articles yet."))
            return
        await reply_html(update, render_listing(items, words.gettext("Latest")))

    @this_chat
    async def search_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Full-text search over titles and excerpts, newest first."""
        query = " ".join(context.args or []).strip()
        if not query or len(query) > MAX_SEARCH:
            usage = words.gettext("Usage: /search &lt;words&gt; (at most {characters} characters)")
            await reply_html(update, usage.format(characters=MAX_SEARCH))
            return
        items = self.store.listing.search(query, LISTING_SIZE)
        if not items:
            text = words.gettext("Nothing found for “{query}”.")
            await reply_html(update, text.format(query=escape(query, quote=False)))
            return
        heading = words.gettext("Found for “{query}”").format(query=query)
        await reply_html(update, render_listing(items, heading))
