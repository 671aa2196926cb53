"""How commands answer: `reply_html`, and texts that several answers share."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Message, Update


async def reply_html(
    update: Update, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat of an update, HTML, without quoting the command."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(html, reply_markup=markup, do_quote=False)


def topics_text(counts: list[tuple[str, int]]) -> str:
    lines = ["<b>Topics</b> (articles):"]
    lines += [f"{escape(name, quote=False)} ({count})" for name, count in counts[:50]]
    if len(counts) > 50:
        lines.append(f"… and {len(counts) - 50} more")
    return "\n".join(lines)


def nothing_about(topic: str, close: list[str]) -> str:
    text = (
        f"No articles about “{escape(topic, quote=False)}” yet; you will get them when they come."
    )
    if close:
        text += " Did you mean: " + escape(", ".join(close), quote=False) + "?"
    return text
