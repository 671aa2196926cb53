"""Inline mode: `@<bot> words` in any chat offers the matching visible articles to send.

The same matching as `/search` (every word, any characters taken as text); an empty query
offers the newest. `PAGE` results a page, `next_offset` the number of results before the
next page, at most `MAX_SKIP`. Each result has the title, the provider and date as its
description, the article's image as its thumbnail, and sends the article as a text with
its link previewed. Telegram forgets a query after about 10 seconds, so the answer is one
database read away; `CACHE_SECONDS` is short, so that new and withdrawn articles show soon.
The bot's own words (the button shown when nothing matches) are in the user's Telegram
language: an inline query comes from no chat, so no feed setting applies.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.delivery.rendering import best_image, format_date, render_push, trimmed
from bot.foundation.translations import N_, words_for
from storage import Store
from storage.models import Article, StoredArticle

log = logging.getLogger(__name__)

PAGE = 20  # results a page (Telegram takes at most 50)
MAX_SKIP = 1000  # results before a page: 50 pages of 20 are more than anyone scrolls
MAX_QUERY = 256  # characters Telegram lets a user type after the bot's name
CACHE_SECONDS = 10
TITLE_LIMIT = 200
NOTHING = N_("No articles match “{query}”")
NOTHING_YET = N_("No articles yet")
TOO_LATE = ("query is too old", "query id is invalid")
KEPT_RESULTS = 512  # rendered results kept: the newest articles are offered again and again


class InlineSearch:
    """Answers inline queries from the stored articles."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # each article's result as last rendered, reused while the article is unchanged
        self._results: OrderedDict[int, tuple[Article, InlineQueryResultArticle]] = OrderedDict()

    async def inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer `@<bot> words` with a page of the matching visible articles."""
        asked = update.inline_query
        if asked is None:
            return
        words = words_for(update, None)
        query = asked.query[:MAX_QUERY]
        skip = page_start(asked.offset)
        if query.strip():
            items = self.store.listing.search(query, PAGE + 1, skip=skip)
        else:
            items = self.store.listing.latest(PAGE + 1, skip=skip)
        more = len(items) > PAGE and skip + PAGE <= MAX_SKIP
        button = None
        if not items and not skip:
            text = words.gettext(NOTHING_YET)
            if query.strip():
                text = words.gettext(NOTHING).format(query=query.strip()[:40])
            button = InlineQueryResultsButton(text[:64], start_parameter="inline")
        try:
            await asked.answer(
                [self._result(stored) for stored in items[:PAGE]],
                cache_time=CACHE_SECONDS,
                is_personal=True,
                next_offset=str(skip + PAGE) if more else "",
                button=button,
            )
        except BadRequest as error:
            if not any(words in str(error).casefold() for words in TOO_LATE):
                raise
            # Telegram gave up on it (the answer came too late, or twice): nothing to fix
            log.info("inline query %s not answered: %s", asked.id, error)

    def _result(self, stored: StoredArticle) -> InlineQueryResultArticle:
        """The article's result, rendered again only when the article changed."""
        kept = self._results.get(stored.id)
        if kept is not None and kept[0] == stored.article:
            self._results.move_to_end(stored.id)
            return kept[1]
        result = inline_result(stored)
        self._results[stored.id] = (stored.article, result)
        if len(self._results) > KEPT_RESULTS:
            self._results.popitem(last=False)
        return result


def page_start(offset: str) -> int:
    """The results before the page that `offset` (our `next_offset`) asks for; a malformed
    or too large one (from a custom client) asks for the first page."""
    if not offset.isascii() or not offset.isdigit() or len(offset) > 6:
        return 0
    skip = int(offset)
    return skip if skip <= MAX_SKIP else 0


def inline_result(stored: StoredArticle) -> InlineQueryResultArticle:
    """One article as an inline result: it sends the article's text with its link."""
    article = stored.article
    image = best_image(article.images)
    return InlineQueryResultArticle(
        id=str(stored.id),
        title=trimmed(article.title, TITLE_LIMIT),
        input_message_content=InputTextMessageContent(
            render_push(article, with_image=False).html,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(url=article.url),
        ),
        url=article.url,
        description=description(stored) or None,
        thumbnail_url=image.url if image else None,
    )


def description(stored: StoredArticle) -> str:
    """The provider and the date of an article, as a result's second line."""
    article = stored.article
    parts = []
    if article.provider and article.provider.name:
        parts.append(trimmed(article.provider.name, 100))
    if article.published_at:
        parts.append(format_date(article.published_at))
    return " · ".join(parts)
