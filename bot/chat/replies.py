"""How commands answer: `reply_html`, and texts that several answers share."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable
from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.delivery.refusals import NOT_MODIFIED, matches
from bot.foundation.translations import Words
from storage import Store


async def reply_html(
    update: Update, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat of an update, HTML, without quoting the command."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(html, reply_markup=markup, do_quote=False)


async def unless_unchanged(edit: Awaitable[object]) -> None:
    """Run a message edit of a button press; a press that changes nothing (pressed twice,
    or a page button of the page shown) is answered 400 "message is not modified", which
    is no error."""
    try:
        await edit
    except BadRequest as error:
        if not matches(error, NOT_MODIFIED):
            raise


def topics_text(words: Words, counts: list[tuple[str, int]]) -> str:
    lines = [words.gettext("<b>Topics</b> (articles):")]
    lines += [f"{escape(name, quote=False)} ({count})" for name, count in counts[:50]]
    if len(counts) > 50:
        more = len(counts) - 50
        lines.append(
            words.ngettext("… and {count} more", "… and {count} more", more).format(count=more)
        )
    return "\n".join(lines)


def nothing_about(words: Words, topic: str, close: list[str]) -> str:
    text = words.gettext(
        "No articles about “{topic}” yet; you will get them when they come."
    ).format(topic=escape(topic, quote=False))
    if close:
        text += " " + words.gettext("Did you mean: {names}?").format(
            names=escape(", ".join(close), quote=False)
        )
    return text


def close_topics(store: Store, topic: str) -> list[str]:
    """Up to three known topics whose names are close to `topic` (a likely typo)."""
    names = {name.casefold(): name for name, _ in store.topics.counts()}
    close = difflib.get_close_matches(topic.casefold(), list(names), n=3, cutoff=0.6)
    return [names[key] for key in close]
