"""The running bot: Telegram handlers, and starting and stopping its parts.

The parts are built from `Config` in `bot.wiring`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.articles.watcher import Watcher
from bot.chat.admin import AdminCommands
from bot.chat.catalogue import register_menus
from bot.chat.connection import (
    START_BACKOFF,
    PollingHealth,
    Revocation,
    is_transient,
    log_polling_error,
    refusal,
    stop_polling,
)
from bot.chat.filters import FilterCommands
from bot.chat.guard import UpdateGuard
from bot.chat.inline import InlineSearch
from bot.chat.listings import ListingCommands
from bot.chat.membership import Membership
from bot.chat.setting_commands import SettingsCommands
from bot.chat.subscriber import Commands
from bot.chat.transfer import TransferCommands
from bot.delivery.fanouts import FanOuts
from bot.delivery.sender import Sender
from bot.foundation.config import Config
from bot.foundation.health import HealthServer
from bot.foundation.memory import HeapTrimmer
from bot.foundation.metrics import Metrics
from bot.foundation.translations import N_, words_for
from storage import NewsbotError, Store
from storage.errors import database_busy

log = logging.getLogger(__name__)

CommandCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
BUSY_REPLY = N_("The database is busy right now; please send that again in a minute.")
# CommandHandler's default takes messages and their edits; commands posted in a channel
# count too, but an edit never runs a command again (editing /broadcast would resend it)
COMMAND_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
# an exported document sent back with the caption /import (never an edited caption)
IMPORT_DOCUMENTS = (
    COMMAND_UPDATES & filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)")
)


@dataclass(frozen=True, slots=True)
class ChatHandlers:
    """The chat side's handlers, built by `bot.wiring.build_chat_handlers`."""

    commands: Commands
    listings: ListingCommands
    filters: FilterCommands
    settings: SettingsCommands
    transfer: TransferCommands
    admin: AdminCommands
    guard: UpdateGuard
    inline: InlineSearch
    membership: Membership


class NewsBot:
    """The long-running process: watcher -> store -> sender, and the chat commands."""

    def __init__(
        self,
        config: Config,
        store: Store,
        application: Application,  # type: ignore[type-arg]
        *,
        sender: Sender,
        watcher: Watcher,
        metrics: Metrics,
        polling: PollingHealth,
        fan_outs: FanOuts,
        revocation: Revocation,
        chat: ChatHandlers,
    ) -> None:
        self.config = config
        self.store = store
        self.application = application
        self.sender = sender
        self.watcher = watcher
        self.metrics = metrics
        self.polling = polling
        self.fan_outs = fan_outs
        self.revocation = revocation  # the token refused while running: stop, exit 2
        self.commands = chat.commands
        self.listings = chat.listings
        self.filters = chat.filters
        self.settings = chat.settings
        self.transfer = chat.transfer
        self.admin = chat.admin
        self.guard = chat.guard
        self.inline = chat.inline
        self.membership = chat.membership
        self.telegram_polling = False
        self.connecting: str | None = "starting: connecting to Telegram"
        self._add_handlers()

    def problems(self) -> list[str]:
        """Why the bot is not healthy, from each part; empty when all is well."""
        found = [self.connecting] if self.connecting else []
        if not self.connecting and not self.telegram_polling:
            found.append("not polling Telegram for updates")
        if not self.sender.alive:
            found.append("the sender is not running")
        return found + self.polling.problems() + self.watcher.problems() + self.sender.problems()

    def refresh_metrics(self) -> None:
        self.metrics.queue_depth.set(self.store.outbox.pending_count())

    def command_handlers(self) -> dict[str, CommandCallback]:
        """Each command of the menus (`bot.chat.catalogue`) with the method that answers it."""
        commands, admin, settings = self.commands, self.admin, self.settings
        return {
            "start": commands.start_command,
            "help": commands.help_command,
            "topics": commands.topics_command,
            "topic": self.listings.topic_command,
            "subscribe": commands.subscribe_command,
            "unsubscribe": commands.unsubscribe_command,
            "subscriptions": commands.subscriptions_command,
            "filter": self.filters.filter_command,
            "latest": self.listings.latest_command,
            "search": self.listings.search_command,
            "top": settings.top_command,
            "settings": settings.settings_command,
            "set": settings.set_command,
            "export": self.transfer.export_command,
            "import": self.transfer.import_command,
            "stop": commands.stop_command,
            "stats": admin.stats_command,
            "broadcast": admin.broadcast_command,
            "pause": admin.pause_command,
            "resume": admin.resume_command,
            "errors": admin.errors_command,
            "release": admin.release_command,
        }

    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(TypeHandler(Update, self.guard.check), group=-1)
        for name, callback in self.command_handlers().items():
            app.add_handler(CommandHandler(name, callback, filters=COMMAND_UPDATES))
        # settings buttons, perhaps scoped to another chat or thread (`targets.SCOPE_MARK`)
        app.add_handler(
            CallbackQueryHandler(self.settings.button_pressed, pattern=r"^(>[^|]*\|)?cfg:")
        )
        app.add_handler(CallbackQueryHandler(self.commands.button_pressed))
        # `@<bot> words` in any chat: through the guard above, as every update
        app.add_handler(InlineQueryHandler(self.inline.inline_query))
        app.add_handler(MessageHandler(IMPORT_DOCUMENTS, self.transfer.import_command))
        app.add_handler(
            ChatMemberHandler(self.membership.bot_changed, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        app.add_handler(
            ChatMemberHandler(self.membership.member_changed, ChatMemberHandler.CHAT_MEMBER)
        )
        # not in channels: the answer would reach every reader of the channel
        app.add_handler(
            MessageHandler(
                filters.COMMAND & ~filters.ChatType.CHANNEL & ~filters.UpdateType.EDITED,
                self.commands.unknown_command,
            )
        )
        app.add_error_handler(self.error_handler)

    async def error_handler(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Everything unexpected in a handler ends here, logged with its traceback."""
        error = context.error
        if isinstance(error, InvalidToken):  # revoked while running: the bot stops
            self.revocation.refused(f"a reply: {error}")
            return
        if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_chat:
            self.store.chats.deactivate(update.effective_chat.id)
            return
        if error is not None and database_busy(error) and isinstance(update, Update):
            await self._answer_busy(update)
            raise ApplicationHandlerStop  # the rest of the update's handlers would fail too
        log.error("error while handling an update", exc_info=error)

    async def _answer_busy(self, update: Update) -> None:
        """Another process holds the database past the busy timeout: say so, not nothing."""
        log.warning(
            "database is locked by another process; update %d not handled", update.update_id
        )
        # in the sender's language: the chat's setting is in the database that is busy
        busy = words_for(update, None).gettext(BUSY_REPLY)
        if update.callback_query is not None:
            await update.callback_query.answer(busy)
        elif update.message is not None:
            await update.message.reply_text(busy)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then stop cleanly within the stop timeout."""
        app = self.application
        health = self._health_server()
        if health is not None:  # first, so that /healthz tells why a start takes long
            await health.start()
        try:
            if await self._until_done(self._greet, stop):
                await app.start()
                if await self._until_done(self._start_polling, stop):
                    await self._serve(stop)
        finally:
            if app.running:
                await app.stop()
            await app.shutdown()
            if health is not None:
                await health.stop()

    async def _greet(self) -> None:
        await self.application.initialize()  # getMe
        await register_menus(self.application.bot, self.config.admin_ids)

    async def _start_polling(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, error_callback=log_polling_error
        )
        self.telegram_polling = True

    async def _until_done(
        self, step: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event
    ) -> bool:
        """Run a start-up step, again after a backoff while it fails in a way that may
        pass; False when `stop` came first. A refused token is a ConfigError (exit 2)."""
        delays = START_BACKOFF.delays()
        while True:
            try:
                await step()
                self.connecting = None
                return True
            except InvalidToken as error:
                raise refusal(error, self.config.token, self.config.base_url) from None
            except TelegramError as error:
                if not is_transient(error):
                    raise NewsbotError(f"Telegram refused to start the bot: {error}") from None
                delay = next(delays)
                if isinstance(error, RetryAfter):
                    after = error.retry_after
                    wait = after.total_seconds() if isinstance(after, timedelta) else after
                    delay = max(delay, float(wait))
                again = f"trying again in {delay:.0f} s"
                log.warning("cannot reach Telegram (%s); %s", error, again)
                # /healthz names the error, not what it says (whatever answered wrote that)
                self.connecting = f"cannot reach Telegram ({type(error).__name__}); {again}"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    return False

    async def _serve(self, stop: asyncio.Event) -> None:
        """The sender and watcher run until `stop`, until one of them stops by itself, or
        until Telegram refuses the token (then a ConfigError: exit 2, as at start)."""
        sending = asyncio.create_task(self.sender.run(), name="sender")
        watching = asyncio.create_task(self.watcher.run(), name="watcher")
        following = asyncio.create_task(self.fan_outs.run(), name="fan-outs")
        # freed heap back to the system once a minute: RSS stays flat (bot/foundation/memory.py)
        trimming = asyncio.create_task(HeapTrimmer().run(), name="heap-trim")
        announcing = asyncio.create_task(self._announce_running(), name="announce")
        stopper = asyncio.create_task(stop.wait())
        revoked = asyncio.create_task(self.revocation.happened.wait())
        done, _ = await asyncio.wait(
            [stopper, revoked, sending, watching], return_when=asyncio.FIRST_COMPLETED
        )
        revoked.cancel()
        broken = [task for task in done if task in (sending, watching)]
        for task in broken:
            log.error("the %s stopped unexpectedly", task.get_name(), exc_info=task.exception())
        for side_task in (following, trimming, announcing):
            side_task.cancel()
        await self._stop(stopper, sending=sending, watching=watching)
        await asyncio.gather(following, trimming, announcing, return_exceptions=True)
        self.fan_outs.look()  # the fan-outs that the stop finished
        if self.revocation.reason is not None:
            raise self.revocation.error()
        if broken:  # exit non-zero, so that a supervisor restarts us
            raise NewsbotError(f"the {broken[0].get_name()} stopped unexpectedly; see the log")

    async def _announce_running(self) -> None:
        """The running line, once the start-up scan (a first start's baseline) is done."""
        await self.watcher.started.wait()
        log.info("newsbot is running: watching %s", self.config.articles_dir)

    async def _stop(
        self,
        stopper: asyncio.Task[bool],
        *,
        sending: asyncio.Task[None],
        watching: asyncio.Task[None],
    ) -> None:
        """Stop polling and watching first, then let the sender finish what is in flight."""
        log.info("stopping: no new updates, finishing sends in flight")
        stopper.cancel()
        app = self.application
        if app.updater is not None and app.updater.running:
            try:
                await stop_polling(app.updater)
            except TelegramError as error:  # what ended polling (a revoked token) comes back
                log.warning("polling had stopped: %s", error)
        self.telegram_polling = False
        watching.cancel()
        await self.sender.stop(self.config.stop_timeout * 0.7)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(sending, watching, return_exceptions=True)
        if app.running:
            await app.stop()

    def _health_server(self) -> HealthServer | None:
        if self.config.metrics_port is None:
            return None
        return HealthServer(
            self.metrics, self.problems, self.refresh_metrics, self.config.metrics_host,
            self.config.metrics_port, notes=self.sender.reach.notes,
        )  # fmt: skip
