"""How commands answer: `reply_html`, the words to answer in, and texts answers share."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Message, Update

from bot.translations import Words, words_for
from storage import Feed, Store


async def reply_html(
    update: Update, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat of an update, HTML, without quoting the command."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(html, reply_markup=markup, do_quote=False)


def words_of(store: Store, update: Update, feed: Feed | None = None) -> Words:
    """The words to answer this update in: its feed's language, else its user's."""
    return words_for(update, language_setting(store, update, feed))


def language_setting(store: Store, update: Update, feed: Feed | None) -> str | None:
    """The `language` setting of the update's feed (of its chat when no feed is given)."""
    return None  # feeds have no language setting yet


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
