"""Commands for the bot's admins (the user ids in NEWSBOT_ADMIN_IDS)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from telegram import Update
from telegram.ext import ContextTypes

from bot.commands import ANONYMOUS_ADMIN, reply_html
from bot.commands.languages import words_of
from bot.translations import ENGLISH, Words
from storage import Store
from storage.figures import IngestError

log = logging.getLogger(__name__)


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
        lines.append(f"{when} {shown(error.path[:100], 'code')}: {shown(error.reason[:150])}")
    return "\n".join(lines)


class AdminCommands:
    """/stats, /broadcast, /pause, /resume, /errors."""

    def __init__(self, store: Store, admin_ids: frozenset[int], wake: Callable[[], None]) -> None:
        self.store = store
        self.admin_ids = admin_ids
        self.wake = wake

    async def _allowed(self, update: Update) -> bool:
        user = update.effective_user
        # an anonymous group admin is a chat admin, never a bot admin
        if user is not None and user.id != ANONYMOUS_ADMIN and user.id in self.admin_ids:
            return True
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                self._words(update).gettext("Sorry, that command is for the bot's admins.")
            )
        return False

    def _words(self, update: Update) -> Words:
        return words_of(self.store, update)

    async def stats_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Subscribers, articles, pushes sent/pending/failed, blocked chats, ingest errors."""
        if not await self._allowed(update):
            return
        words = self._words(update)
        text = format_stats(self.store.figures.counts(), words)
        if self.store.flags.paused:
            text += "\n" + words.gettext("Pushes are paused (/resume).")
        await reply_html(update, escape(text, quote=False))

    async def broadcast_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Queue a message to every active chat, through the outbox."""
        if not await self._allowed(update):
            return
        message = update.effective_message
        assert message is not None and message.text is not None
        _, _, text = message.text.partition(" ")
        text = text.strip()
        words = self._words(update)
        if not text:
            await reply_html(update, words.gettext("Usage: /broadcast &lt;text&gt;"))
            return
        count = self.store.outbox.queue_broadcast(text, time.time())
        self.wake()
        log.info("broadcast queued for %d chats", count)
        queued = words.ngettext(
            "Broadcast queued for {count} chat.", "Broadcast queued for {count} chats.", count
        )
        await reply_html(update, queued.format(count=count))

    async def pause_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hold every push; nothing is dropped."""
        if not await self._allowed(update):
            return
        self.store.flags.set_paused(True)
        await reply_html(
            update,
            self._words(update).gettext("Pushes paused. They wait in the queue until /resume."),
        )

    async def resume_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Release held pushes."""
        if not await self._allowed(update):
            return
        self.store.flags.set_paused(False)
        self.wake()
        pending = self.store.outbox.pending_count()
        resumed = self._words(update).ngettext(
            "Pushes resumed; {count} waiting goes out now.",
            "Pushes resumed; {count} waiting go out now.",
            pending,
        )
        await reply_html(update, resumed.format(count=pending))

    async def errors_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The latest bad article files and why."""
        if not await self._allowed(update):
            return
        errors = self.store.figures.ingest_errors(ERRORS_SHOWN)
        await reply_html(update, format_errors(errors, self._words(update)))
