"""The texts of /stats and /errors, which `newsbot stats` and `newsbot errors` print too.

Pure formatting: importing this loads neither Telegram's library nor SQLite's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from bot.articles.reading import printable
from bot.foundation.translations import ENGLISH, Words

if TYPE_CHECKING:
    from storage.figures import IngestError


def format_stats(figures: dict[str, int], words: Words = ENGLISH) -> str:
    """The figures of /stats and `newsbot stats` (in English), one per line."""
    pending = figures["pushes_pending"] + figures["pushes_sending"]
    return "\n".join(
        [
            words.gettext("Active chats: {chats} ({subscribers} with subscriptions)").format(
                chats=figures["chats"], subscribers=figures["subscribers"]
            ),
            words.gettext("Blocked or gone chats: {count}").format(count=figures["inactive_chats"]),
            words.gettext("Articles: {listed} listed, {drafts} drafts").format(
                listed=figures["articles"], drafts=figures["drafts"]
            ),
            words.gettext(
                "Pushes: {sent} sent, {pending} pending, {failed} failed, {cancelled} cancelled"
            ).format(
                sent=figures["pushes_sent"],
                pending=pending,
                failed=figures["pushes_failed"],
                cancelled=figures["pushes_cancelled"],
            ),
            words.gettext("Edits of sent pushes: {sent} sent, {pending} pending").format(
                sent=figures["edits_sent"],
                pending=figures["edits_pending"] + figures["edits_sending"],
            ),
            words.gettext("Retractions: {sent} sent, {pending} pending").format(
                sent=figures["retractions_sent"],
                pending=figures["retractions_pending"] + figures["retractions_sending"],
            ),
            words.gettext("Digests: {sent} sent, {pending} pending").format(
                sent=figures["digests_sent"],
                pending=figures["digests_pending"] + figures["digests_sending"],
            ),
            words.gettext("Ingest errors: {count}").format(count=figures["ingest_errors"]),
            *_flood_line(figures, words),
        ]
    )


def _flood_line(figures: dict[str, int], words: Words) -> list[str]:
    """Chats whose pushes wait out a Telegram flood limit, if any."""
    if not figures.get("flood_held_chats"):
        return []
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(figures["flood_held_until"]))
    text = words.gettext("Held by flood wait: {count} chats, until {until}")
    return [text.format(count=figures["flood_held_chats"], until=until)]


ERRORS_SHOWN = 12  # 12 x ~280 characters: one message


def format_errors(errors: list[IngestError], words: Words = ENGLISH, *, html: bool = True) -> str:
    """The latest bad article files and why, as /errors and `newsbot errors` show them."""
    if not errors:
        return words.gettext("No bad article files.")

    def shown(text: str, tag: str | None = None) -> str:
        if not html:
            return text
        escaped = escape(text, quote=False)
        return f"<{tag}>{escaped}</{tag}>" if tag else escaped

    lines = [shown(words.gettext("Bad article files"), "b")]
    for error in errors:
        when = datetime.fromtimestamp(error.at, UTC).strftime("%Y-%m-%d %H:%M")
        path = printable(error.path[:100])
        lines.append(f"{when} {shown(path, 'code')}: {shown(error.reason[:150])}")
    return "\n".join(lines)
