"""Commands for the bot's admins (the user ids in NEWSBOT_ADMIN_IDS)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.languages import words_of
from bot.chat.permissions import ANONYMOUS_ADMIN
from bot.chat.replies import reply_html
from bot.chat.reports import ERRORS_SHOWN, format_errors, format_stats
from bot.foundation.translations import Words
from storage import Store

log = logging.getLogger(__name__)


class AdminCommands:
    """/stats, /broadcast, /pause, /resume, /errors, /release."""

    def __init__(
        self,
        store: Store,
        admin_ids: frozenset[int],
        wake: Callable[[], None],
        *,
        held: Callable[[], int] = lambda: 0,
        release: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.store = store
        self.admin_ids = admin_ids
        self.wake = wake
        self.held = held  # article files gone and held, not withdrawn (the watcher's)
        self.release = release  # withdraws them now; how many were still gone

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
        count = self.store.queueing.queue_broadcast(text, time.time())
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
        words = self._words(update)
        text = format_errors(errors, words)
        if held := self.held():
            note = words.ngettext(
                "{count} article file is gone and held, not withdrawn: more went at once than "
                "NEWSBOT_MAX_WITHDRAWALS allows. /release withdraws it.",
                "{count} article files are gone and held, not withdrawn: more went at once than "
                "NEWSBOT_MAX_WITHDRAWALS allows. /release withdraws them.",
                held,
            )
            text = escape(note.format(count=held), quote=False) + "\n\n" + text
        await reply_html(update, text)

    async def release_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Withdraw now the article files gone and held (or in their grace)."""
        if not await self._allowed(update):
            return
        words = self._words(update)
        count = await self.release() if self.release is not None else 0
        if not count:
            await reply_html(update, words.gettext("No article file is waiting to be withdrawn."))
            return
        log.info("an admin released %d article files gone; they are withdrawn", count)
        done = words.ngettext(
            "{count} article file gone is withdrawn.",
            "{count} article files gone are withdrawn.",
            count,
        )
        await reply_html(update, done.format(count=count))
