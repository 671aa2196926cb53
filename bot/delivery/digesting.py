"""The sender's view of feed settings: how a push looks, whether it waits, and digests.

A push due while its feed is quiet, or whose feed gets digests, is held in the outbox
until `bot.delivery.schedule.release_at` says; then every held push of the feed that is due is
gathered into one digest row (`storage.digests`), which goes as one message, or several
split at the text limit between articles, hottest first. A digest lists at most
`DIGEST_CAP` articles; a closing line counts the rest and points to /latest. Each message
marks the articles it lists (the last one also those its closing line counts), so a
crash between two messages sends neither again; an article withdrawn before its message
goes is left out.

A backlog goes the same way: when a feed owes more than its `backlog` setting (default
NEWSBOT_BACKLOG_MAX) pushes at once, after downtime or when many files arrive together,
all of them are gathered into one digest row at once, instead of one push each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.delivery.rendering import render_digest
from bot.delivery.schedule import Plan, Window, quiet_end, release_at
from bot.foundation.translations import N_, Words, feed_words
from storage import Delivery, Store
from storage.models import StoredArticle
from storage.settings import FeedSettings

DEFAULT = FeedSettings()
# the bot's own words in digests (English message ids), in the feed's language: a digest
# has no user to take it from
DIGEST_MORE = N_("Digest (continued)")
# articles one digest lists (a few messages of 4096 characters); a busy day's others are
# counted in its closing line instead of filling the chat with dozens of messages
DIGEST_CAP = 50


def plan_of(settings: FeedSettings) -> Plan:
    """The schedule arithmetic's view of a feed's settings."""
    quiet = None
    if settings.quiet_start is not None and settings.quiet_end is not None:
        quiet = Window(settings.quiet_start, settings.quiet_end)
    return Plan(ZoneInfo(settings.timezone), quiet, settings.digest, settings.digest_at)


class FeedDelivery:
    """Feed settings as the sender needs them, read once and refreshed when they change."""

    def __init__(self, store: Store, backlog_max: int = 5) -> None:
        self.store = store
        self.backlog_max = backlog_max  # NEWSBOT_BACKLOG_MAX, for feeds without a setting
        self._settings: dict[int, FeedSettings] | None = None
        self._plans: dict[int, Plan] = {}

    def changed(self, feed_id: int, now: float) -> None:
        """A feed's settings changed: read them again, and decide afresh for what it held."""
        if self._settings is not None:  # the others stay cached: 100,000 take a second
            settings = self.store.settings.get(feed_id)
            self._settings[feed_id] = settings
            self._plans.pop(feed_id, None)
            if not settings.plain:
                self._plans[feed_id] = plan_of(settings)
        self.store.outbox.requeue_held(feed_id, now)

    def settings_of(self, feed_id: int) -> FeedSettings:
        return self._customised().get(feed_id, DEFAULT)

    def hold(self, row: Delivery, now: float) -> bool:
        """Hold a push whose feed is quiet now or gets digests, or gather it with the rest
        of its feed's backlog into a digest; True when it does not go now."""
        if row.kind != "push" or row.article_id is None:
            return False
        plan = self._plan(row.feed_id)
        if plan is None:
            most = self.backlog_of(row.feed_id)
            return bool(most) and self.store.digests.gather_backlog(row.feed_id, most, now)
        until = release_at(plan, datetime.fromtimestamp(now, UTC))
        return until is not None and self.store.outbox.hold(row.id, until.timestamp(), now)

    def backlog_of(self, feed_id: int) -> int:
        """How many pushes the feed may owe at once before they go as a digest (0: any)."""
        setting = self.settings_of(feed_id).backlog
        return self.backlog_max if setting is None else setting

    def hushed(self, feed_id: int, now: float) -> bool | None:
        """`disable_notification` for an admin's broadcast (None: left out of the request).
        A broadcast is urgent by intent, so it never waits for quiet hours; it goes without
        a sound to a silent feed, and to one inside its quiet hours now."""
        if self.settings_of(feed_id).silent:
            return True
        plan = self._plan(feed_id)
        if plan is None or plan.quiet is None:
            return None
        inside = quiet_end(plan.quiet, plan.zone, datetime.fromtimestamp(now, UTC))
        return True if inside is not None else None

    def release_due(self, now: float) -> int:
        return self.store.digests.release_due(now)

    def next_release(self) -> float | None:
        return self.store.digests.next_release()

    async def send_digest(
        self,
        bot: ExtBot[Any],
        row: Delivery,
        pace: Any,
        *,
        paid: bool | None = None,
        settle: Callable[[Callable[[], object]], None],
    ) -> int | None:
        """Send what is left of a digest, message by message; its last message's id, or
        None when none of it went and nothing is left (every article withdrawn).

        Each message's mark of what it listed is written through `settle` (the sender's
        `Settlements`): a database that refuses it for a while delays it, in order with
        the row's own state, rather than fail a send that arrived and repeat it."""
        items = self.store.digests.unsent(row.id)
        if not items:
            # all of it went before a crash kept the row from being marked: it is sent
            return self.store.digests.last_message(row.id)
        settings = self.settings_of(row.feed_id)
        silent = settings.silent
        parts = self._messages(row.id, items, feed_words(settings.language))
        message_id = None
        for html, ids in parts:
            message = await bot.send_message(
                row.chat_id,
                html,
                message_thread_id=row.thread_id or None,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=True if silent else None,
                allow_paid_broadcast=paid,
                rate_limit_args=pace,
            )
            message_id = message.message_id
            settle(functools.partial(self.store.digests.mark_items_sent, row.id, ids, message_id))
        return message_id

    def _messages(
        self, digest_id: int, items: list[StoredArticle], words: Words
    ) -> list[tuple[str, list[int]]]:
        """The digest's messages, each with the articles its mark takes: at most
        `DIGEST_CAP` articles listed in all (a resumed digest's earlier messages count),
        and a closing line counting the rest, whose articles the last message marks."""
        heading = words.ngettext(
            "Digest: {count} new article", "Digest: {count} new articles", len(items)
        ).format(count=len(items))
        listed = self.store.digests.listed(digest_id)
        if listed:
            heading = words.gettext(DIGEST_MORE)
        room = max(DIGEST_CAP - listed, 0)
        shown, rest = items[:room], items[room:]
        closing = None
        if rest:
            closing = words.ngettext(
                "… and {count} more article: /latest",
                "… and {count} more articles: /latest",
                len(rest),
            ).format(count=len(rest))
        parts = render_digest(shown, heading, closing)
        html, ids = parts[-1]
        parts[-1] = (html, ids + [stored.id for stored in rest])
        return parts

    def _customised(self) -> dict[int, FeedSettings]:
        if self._settings is None:
            self._settings = self.store.settings.customised()
            self._plans = {
                feed_id: plan_of(settings)
                for feed_id, settings in self._settings.items()
                if not settings.plain
            }
        return self._settings

    def _plan(self, feed_id: int) -> Plan | None:
        self._customised()
        return self._plans.get(feed_id)
