"""Every part of newsbot built from `Config`, once: for `run`, `run --dry-run` and `ingest`.

The defaults live in `Config` alone; the constructors below take every setting as an
argument, so a part is built the same way whichever verb asks for it, and each part
is handed to whoever needs it (the pacer to both PTB and the sender).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram.ext import Application, ApplicationBuilder, ExtBot

from bot.app import ChatHandlers, NewsBot
from bot.articles.ingest import Ingestor
from bot.articles.permalinks import Site
from bot.articles.publishing import WITHOUT_FOLLOWING, Publishing
from bot.articles.watcher import Watcher
from bot.articles.withdrawals import Withdrawals
from bot.chat.admin import AdminCommands
from bot.chat.connection import ObservedRequest, PollingHealth, Revocation
from bot.chat.filters import FilterCommands
from bot.chat.guard import UpdateGuard
from bot.chat.inline import InlineSearch
from bot.chat.keyboards import Keyboards
from bot.chat.listings import ListingCommands
from bot.chat.membership import Membership
from bot.chat.permissions import Permissions
from bot.chat.requests import JsonRequest
from bot.chat.setting_commands import SettingsCommands
from bot.chat.subscriber import Commands
from bot.chat.targets import Targets
from bot.chat.transfer import TransferCommands
from bot.delivery.digesting import FeedDelivery
from bot.delivery.fanouts import FanOuts
from bot.delivery.following import Follower
from bot.delivery.outcomes import Outcomes
from bot.delivery.pacing import FloodPacer
from bot.delivery.posting import Poster
from bot.delivery.probing import PROBE_BACKOFF
from bot.delivery.pruning import Pruner
from bot.delivery.sender import DEFAULT_PACE_ARGS, SEND_BACKOFF, Sender
from bot.delivery.settlements import Settlements
from bot.delivery.shown_messages import ShownMessages
from bot.delivery.story_threads import StoryThreads
from bot.foundation.backoff import Backoff
from bot.foundation.config import Config
from bot.foundation.errors import ConfigError
from bot.foundation.metrics import Metrics
from bot.foundation.reachability import Reachability
from storage import Store
from storage.store import Change

# how far the system clock may move away from the sender's before the sender follows it:
# more than a slewing NTP ever leaves between them, less than anyone notices in a schedule
CLOCK_STEP = 2.0


class SteadyClock:
    """The sender's wall clock: `wall` read once, then moved by `monotonic`, so that no
    wait is stretched or cut while the system clock is stepped; `resync` takes up a step
    that stays (NTP setting right a clock that started wrong, a suspend the monotonic
    clock did not count), so that quiet hours and digests follow the real time for the
    months a run lasts, not the time read at its start."""

    def __init__(self, wall: Callable[[], float], monotonic: Callable[[], float]) -> None:
        self.wall = wall
        self.monotonic = monotonic
        self.offset = wall() - monotonic()

    def __call__(self) -> float:
        return self.offset + self.monotonic()

    def resync(self) -> float:
        """Follow the system clock when it is more than `CLOCK_STEP` s away; the step
        taken (0 when none), by which the sender moves the waits it set."""
        step = self.wall() - self()
        if abs(step) <= CLOCK_STEP:
            return 0.0
        self.offset += step
        return step


def build_sender(
    store: Store,
    bot: ExtBot[Any],
    pacer: FloodPacer | None,
    *,
    window: int,
    metrics: Metrics,
    story_threads: bool,
    rate_limit_args: Any = DEFAULT_PACE_ARGS,
    clock: Callable[[], float] = time.time,
    backoff: Backoff = SEND_BACKOFF,
    pruner: Pruner | None = None,
    feeds: FeedDelivery | None = None,
    paid_broadcast: bool = False,
    token_refused: Callable[[str], None] = lambda reason: None,
    reach: Reachability | None = None,
    probe: Backoff = PROBE_BACKOFF,
) -> Sender:
    """The sender and its parts: what a row's request is (`Poster`: the feed's look, story
    replies, edits), what each answer does to it (`Outcomes`), in order (`Settlements`)."""
    feeds = feeds or FeedDelivery(store)
    settlements = Settlements()
    shown = ShownMessages(store)
    following = Follower(store, bot, shown, rate_limit_args=rate_limit_args, clock=clock)
    poster = Poster(
        store,
        bot,
        rate_limit_args,
        feeds,
        paid_broadcast=paid_broadcast,
        following=following,
        threads=StoryThreads(store, enabled=story_threads),
        shown=shown,
        clock=clock,
        settlements=settlements,
    )
    return Sender(
        store,
        pacer,
        poster=poster,
        outcomes=Outcomes(store, settlements, metrics, clock, backoff),
        feeds=feeds,
        settlements=settlements,
        shown=shown,
        window=window,
        metrics=metrics,
        clock=clock,
        pruner=pruner,
        token_refused=token_refused,
        reach=reach,
        probe=probe,
    )


def build_pacer(config: Config, clock: Callable[[], float] = time.monotonic) -> FloodPacer:
    return FloodPacer(
        config.rate_global, config.rate_private, config.rate_group_per_minute, clock=clock
    )


class _Application(Application):  # type: ignore[type-arg]
    """PTB's Application without the ids it gathers for a persistence we do not have.

    After each update PTB adds its chat's and user's ids to two sets that only saving
    to a persistence empties: without one, they grow by every chat and user that ever
    wrote to the bot, for as long as it runs.
    """

    def _mark_for_persistence_update(self, *, update: object = None, job: Any = None) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


def build_application(
    config: Config,
    pacer: FloodPacer,
    polling: PollingHealth,
    revocation: Revocation,
    reach: Reachability | None = None,
) -> Application:  # type: ignore[type-arg]
    """python-telegram-bot's Application with our base URL and flood pacer; each
    getUpdates answer is told to `polling` and `reach`, a refused token to `revocation`."""
    if config.token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather")
    return (
        ApplicationBuilder()
        .application_class(_Application)
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .rate_limiter(pacer)
        .request(JsonRequest(connection_pool_size=256))  # PTB's default pool
        .get_updates_request(ObservedRequest(polling, revocation, reach, connection_pool_size=1))
        .concurrent_updates(False)
        .build()
    )


def build_ingestor(
    config: Config,
    store: Store,
    folder: Path | None = None,
    *,
    announce: bool = False,
    publishing: Publishing = WITHOUT_FOLLOWING,
) -> Ingestor:
    """Reads `folder` (default: the articles folder) into `store` by the file settings;
    `announce` logs a line per article stored."""
    return Ingestor(
        store,
        (folder or config.articles_dir).resolve(),
        max_bytes=config.max_file_bytes,
        recursive=config.recursive,
        publishing=publishing,
        announce=announce,
        site=Site.of(config),
    )


def build_watcher(
    config: Config,
    store: Store,
    *,
    on_change: Callable[[Change], None],
    metrics: Metrics,
    queue_pushes: bool,
    publishing: Publishing = WITHOUT_FOLLOWING,
    clock: Callable[[], float] = time.monotonic,
) -> Watcher:
    withdrawals = Withdrawals(clock, grace=config.withdraw_grace, most=config.max_withdrawals)
    return Watcher(
        build_ingestor(config, store, announce=True, publishing=publishing),
        on_change=on_change,
        use_polling_observer=config.watcher == "polling",
        scan_interval=config.scan_interval,
        settle=config.settle_seconds,
        queue_pushes=queue_pushes,
        metrics=metrics,
        withdrawals=withdrawals,
    )


def build_newsbot(
    config: Config, store: Store, clock: Callable[[], float] | None = None
) -> NewsBot:
    """The long-running bot: pacer, Telegram application, sender, watcher, metrics.

    `clock` is the sender's wall clock (quiet hours, digests, retries); tests move it.
    By default it is the system time read at start and then advanced by the monotonic
    clock (`SteadyClock`); a step of the system clock is taken up within seconds, and
    the sender moves its retries' waits by as much, so that an NTP step neither holds a
    retry for an hour nor sends it early, nor leaves the schedules on the old time.
    """
    clock = clock or SteadyClock(time.time, time.monotonic)
    pacer = build_pacer(config)
    polling, revocation = PollingHealth(), Revocation()
    # whether Telegram answers, told by getUpdates and by the sends: the sender holds
    # its queue while it does not, and /healthz says when it went away and came back
    reach = Reachability(clock, store.outbox.pending_count)
    application = build_application(config, pacer, polling, revocation, reach)
    metrics = Metrics()
    fan_outs = FanOuts(store.figures)
    sender = build_sender(
        store,
        application.bot,
        pacer,
        window=config.send_window,
        metrics=metrics,
        story_threads=config.story_threads,
        pruner=Pruner(store, config.retention_days),
        feeds=FeedDelivery(store, config.backlog_max),
        paid_broadcast=config.paid_broadcast,
        clock=clock,
        token_refused=revocation.refused,
        reach=reach,
    )
    watcher = build_watcher(
        config,
        store,
        on_change=changes_to_sender(sender, metrics, fan_outs),
        metrics=metrics,
        queue_pushes=True,
        publishing=Publishing(edits=config.follow_edits, retractions=config.retract),
        clock=clock,
    )
    return NewsBot(
        config,
        store,
        application,
        sender=sender,
        watcher=watcher,
        metrics=metrics,
        polling=polling,
        fan_outs=fan_outs,
        revocation=revocation,
        chat=build_chat_handlers(config, store, sender, watcher),
    )


def build_chat_handlers(
    config: Config, store: Store, sender: Sender, watcher: Watcher
) -> ChatHandlers:
    """The handlers of commands, buttons and membership changes, sharing one `Targets`
    (and its `Permissions`, whose short cache the membership changes keep true); the
    admin's /release and /errors see the files the watcher holds."""
    permissions = Permissions()
    targets = Targets(store, permissions)
    keyboards = Keyboards(store)
    return ChatHandlers(
        commands=Commands(store, targets, keyboards),
        listings=ListingCommands(store, targets, keyboards),
        filters=FilterCommands(store, targets),
        settings=SettingsCommands(store, targets, sender.feed_changed),
        transfer=TransferCommands(store, targets, sender.feed_changed),
        admin=AdminCommands(
            store,
            config.admin_ids,
            sender.wake,
            held=watcher.withdrawals.held,
            release=watcher.withdrawals.release_now,
        ),
        guard=UpdateGuard(store),
        inline=InlineSearch(store),
        membership=Membership(store, permissions),
    )


def changes_to_sender(
    sender: Sender, metrics: Metrics, fan_outs: FanOuts
) -> Callable[[Change], None]:
    """What the live bot does with each stored file change: tell the sender, count it,
    follow its fan-out."""

    def on_change(change: Change) -> None:
        if change.article_id is not None and change.kind != "unchanged":
            sender.forget_article(change.article_id)
        if change.queued or change.followups:
            sender.wake()
        if change.queued and change.article_id is not None:
            fan_outs.queued(change.article_id)
        count_change(metrics, change)

    return on_change


def count_change(metrics: Metrics, change: Change) -> None:
    """A stored file change in /metrics: an article ingested (by kind) or an ingest error;
    the same for `run` and `run --dry-run`."""
    if change.kind == "error":
        metrics.ingest_errors.inc()
    elif change.kind not in ("unchanged", "duplicate"):
        metrics.ingested.labels(change.kind).inc()
