"""The sender: works through the outbox and turns every Telegram reply into a row state.

Delivery is at-least-once. A row is claimed (`sending`) just before its request and
settled right after the reply. If the process dies in between, or a send times out,
the row goes again, so a chat can get that push twice; at most `window` rows are in
flight at once, one per chat, which bounds the duplicates one crash can cause.

Only an answer that says the message can never go ends a row (a 400 other than the
markup and image fallbacks, a 403). A `retry_after` is a wait, not a failed attempt;
network errors, timeouts and 5xx keep the row queued and say the API is away: the whole
queue is held and probed with one send at a time (`bot.delivery.probing`) for as long
as the outage lasts, and released at the first answer. A write the database refuses
(disk full, locked by another process) is kept in memory and tried again until it
succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from collections.abc import Callable

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from bot.delivery.digesting import FeedDelivery
from bot.delivery.following import Unneeded
from bot.delivery.outcomes import Outcomes
from bot.delivery.pacing import FloodPacer, PaceArgs, retry_seconds
from bot.delivery.posting import Poster, Withdrawn
from bot.delivery.probing import PROBE_BACKOFF, Probing
from bot.delivery.pruning import Pruner
from bot.delivery.settlements import Settlements
from bot.delivery.shown_messages import ShownMessages
from bot.foundation.backoff import Backoff
from bot.foundation.metrics import Metrics
from bot.foundation.reachability import Reachability
from storage import Delivery, Store

log = logging.getLogger(__name__)

# only for errors we do not understand (a bug): every Telegram answer has its own rule
MAX_UNEXPECTED_ATTEMPTS = 8
# our pacer hands a 429 back to us at once, so the row waits in the outbox, not in memory
DEFAULT_PACE_ARGS: PaceArgs = {"retries": 0}
# a row in flight at a crash may have reached its chat just before: resend after one
# group interval (3 s at 20/min), so the resend does not break the chat's own limit
RECOVERY_DELAY = 3.5
# after an error we do not understand (a bug): 1, 2, 4 ... s, at most 5 minutes
SEND_BACKOFF = Backoff(first=1.0, cap=300.0)
# a flood wait this long is worth an operator's attention (health, /stats)
LONG_FLOOD_WAIT = 60.0


class Sender:
    """Moves outbox rows to Telegram within the flood limits, `window` at a time."""

    def __init__(
        self,
        store: Store,
        pacer: FloodPacer | None,
        *,
        poster: Poster,
        outcomes: Outcomes,
        feeds: FeedDelivery,
        settlements: Settlements,
        shown: ShownMessages,
        window: int,
        metrics: Metrics,
        clock: Callable[[], float],
        pruner: Pruner | None = None,
        token_refused: Callable[[str], None] = lambda reason: None,
        reach: Reachability | None = None,
        probe: Backoff = PROBE_BACKOFF,
    ) -> None:
        self.store = store
        self.token_refused = token_refused  # a 401 to a send: the bot stops (`Revocation`)
        self.poster = poster  # the request of one row
        self.outcomes = outcomes  # what each answer does to the row
        # per-feed look, sound and timing (settings); digests go through here too
        self.feeds = feeds
        self.settlements = settlements  # row states, kept in order while writes fail
        self.shown_messages = shown  # recorded with each row's sent state
        self.pacer = pacer
        self.window = window
        self.clock = clock  # the live bot's is `wiring.SteadyClock`: NTP steps move no wait
        self.metrics = metrics
        self.pruner = pruner
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[int, tuple[Delivery, asyncio.Task[None]]] = {}
        # the API away (told by our sends and by getUpdates): the queue held, and probed
        self.reach = reach or Reachability(clock, store.outbox.pending_count)
        self.probing = Probing(self.reach, clock, probe)
        self.reach.listen(self.wake)
        self.alive = False
        self.looks = 0  # passes over the outbox: tests on an injected clock wait on it

    @property
    def settled(self) -> bool:
        """Nothing in flight and nothing new to look at (tests on an injected clock)."""
        return not self._in_flight and not self._wake.is_set()

    def wake(self) -> None:
        """New rows may be ready (queued, resumed): look now instead of at the next timer."""
        self._wake.set()

    def feed_changed(self, feed_id: int, now: float) -> None:
        """A feed's settings changed: what it held is decided again, and may go now."""
        self.feeds.changed(feed_id, now)
        self.wake()

    def forget_article(self, article_id: int) -> None:
        """The article changed (edited, or withdrawn: then pushes not yet claimed were
        cancelled with it, those in flight finish, and the retraction queued with the
        withdrawal waits until they are settled): read it afresh for what is still to go."""
        self.poster.forget_article(article_id)

    def problems(self) -> list[str]:
        """What an operator should know about delivery; empty when all is well."""
        found = self.reach.problems()  # Telegram away this long: since when, pushes held
        if self.settlements.error is not None:
            found.append(f"the database refuses writes ({self.settlements.error}); retrying")
        now = self.clock()
        everywhere = 0.0 if self.pacer is None else self.pacer.global_hold()
        if everywhere > LONG_FLOOD_WAIT:
            found.append(f"held by flood wait: all chats, until {_utc(now + everywhere)}")
        with contextlib.suppress(sqlite3.Error):
            chats, until = self.store.figures.flood_held(now + LONG_FLOOD_WAIT)
            if chats and until is not None:
                found.append(f"held by flood wait: {chats} chats, until {_utc(until)}")
        return found

    async def run(self) -> None:
        """Send until `stop()`; resumes rows left `sending` by a crash."""
        self.settlements.write(self._recover)
        pruning = asyncio.create_task(self.pruner.run()) if self.pruner is not None else None
        self.alive = True
        try:
            while not self._stopping:
                self._follow_system_clock()
                try:
                    if self.settlements.flush():
                        await self._fill_window()
                        continue
                except sqlite3.OperationalError as error:  # disk full, locked: wait, go on
                    self.settlements.failed(error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 1.0)
                self._wake.clear()
        finally:
            self.alive = False
            if pruning is not None:
                pruning.cancel()
                await asyncio.gather(pruning, return_exceptions=True)

    def _follow_system_clock(self) -> None:
        """A step of the system clock is taken up (`SteadyClock.resync`): the schedules
        follow it, and the retries waiting keep the wait they had left."""
        resync = getattr(self.clock, "resync", None)
        if resync is None:  # a test's clock
            return
        step = resync()
        if step:
            log.warning("the system clock moved by %+.1f s; delivery follows it", step)
            self.settlements.write(functools.partial(self.store.outbox.shift_waits, step))

    def _recover(self) -> None:
        now = self.clock()
        recovered = self.store.outbox.recover_in_flight(now, now + RECOVERY_DELAY)
        if recovered:
            log.warning(
                "%d pushes were in flight when the bot stopped; sending them again", recovered
            )

    async def stop(self, grace: float) -> None:
        """Take no new rows; let those in flight finish, or put them back after `grace` s."""
        self._stopping = True
        self._wake.set()
        tasks = [task for _, task in self._in_flight.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self.settlements.flush()

    async def _fill_window(self) -> None:
        self._wake.clear()
        now = self.clock()
        free = self._free(now)
        rows: list[Delivery] = []
        if free > 0 and not self.store.flags.paused and not self._held_globally():
            self.feeds.release_due(now)
            rows = self.store.outbox.ready(free, now, self._busy_chats())
        for row in rows:
            if self.feeds.hold(row, now):
                continue
            if self.store.outbox.claim(row.id, now):
                if self.probing.holding:
                    self.probing.sent(row.id, now)
                task = asyncio.create_task(self._deliver(row))
                self._in_flight[row.id] = (row, task)
                task.add_done_callback(functools.partial(self._settled, row.id))
        self.looks += 1
        if rows and len(self._in_flight) < self.window and not self.probing.holding:
            return  # there may be more ready right away
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_timeout(now))

    def _free(self, now: float) -> int:
        """How many rows may be claimed now: the free window, or one probe while the
        API is away."""
        if self.probing.holding:
            return 1 if self.probing.due(now, len(self._in_flight)) else 0
        return self.window - len(self._in_flight)

    def _settled(self, key: int, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(key, None)
        self._wake.set()

    def _held_globally(self) -> bool:
        """A 429 for every chat: claim nothing, rather than park rows in the pacer."""
        return self.pacer is not None and self.pacer.global_hold() > 0.05

    def _busy_chats(self) -> set[int]:
        """Chats with a send in flight, or that the pacer holds for a while yet."""
        busy = {delivery.chat_id for delivery, _ in self._in_flight.values()}
        if self.pacer is not None:
            busy |= self.pacer.held_chats(lookahead=0.05)
        return busy

    def _idle_timeout(self, now: float) -> float:
        moments = (self.store.outbox.next_due(), self.feeds.next_release())
        due = min((moment for moment in moments if moment is not None), default=None)
        if due is not None and self.probing.holding:  # nothing goes before the next probe
            due = max(due, self.probing.next_at)
        if due is None or due <= now:
            return 0.25 if self._in_flight or due is not None else 5.0
        return min(max(due - now, 0.01), 5.0)

    # --- settling a row from Telegram's answer -----------------------------------------

    async def _deliver(self, row: Delivery) -> None:
        started = self.clock()
        try:
            message_id = await self.poster.post(row)
        except asyncio.CancelledError:
            self.outcomes.cancelled(row, stopping=self._stopping)
            raise
        except (Withdrawn, Unneeded):
            self.outcomes.cancelled(row, stopping=self._stopping)
        except (BadRequest, ChatMigrated, InvalidToken, RetryAfter, Forbidden) as error:
            self.probing.answered(row.id)  # a refusal is an answer: the API is there
            self._refused(row, error)
        except NetworkError as error:  # also TimedOut, and 5xx answers: the API is away
            # a send that timed out may have arrived: at-least-once means it goes again;
            # the row is due at once, and the queue is held until a probe is answered
            self.probing.failed(row.id, str(error) or type(error).__name__)
            self.outcomes.retry(row, f"network: {error}", self.clock())
        except Exception as error:  # the top of a send task: a bug must not strand the row
            log.exception("delivery %d failed unexpectedly", row.id)
            if row.attempts >= MAX_UNEXPECTED_ATTEMPTS:
                self.outcomes.fail(row, f"gave up: {error!r}", "gave up")
            else:
                self.outcomes.retry(row, f"unexpected: {error!r}", self.outcomes.backoff(row))
        else:
            self.probing.answered(row.id)
            now = self.clock()
            self.settlements.write(functools.partial(self._mark_sent, row, message_id, now))
            if row.target_id is None:  # edits and retractions are not pushes
                self.metrics.sent.inc()
                self.metrics.send_latency.observe(now - started)

    def _refused(self, row: Delivery, error: Exception) -> None:
        """Settle a row Telegram answered with a refusal or a wait."""
        if isinstance(error, RetryAfter):
            seconds = retry_seconds(error)
            self.metrics.flood_replies.inc()
            self.outcomes.flood_wait(row, seconds)
        elif isinstance(error, Forbidden):
            self.outcomes.chat_gone(row, str(error))
        elif isinstance(error, ChatMigrated):
            log.info("chat %s became supergroup %s; moving it", row.chat_id, error.new_chat_id)
            self.settlements.write(functools.partial(self._migrate, row.chat_id, error.new_chat_id))
            self.outcomes.retry(row, "chat migrated", 0.0, count=False)
        elif isinstance(error, BadRequest):
            self.outcomes.refused(row, error)
        else:  # InvalidToken, revoked: the bot stops; the row goes at the next start
            self.outcomes.retry(row, f"token refused: {error}", 0.0, count=False)
            self.token_refused(f"{row.kind}: {error}")

    def _migrate(self, old_id: int, new_id: int) -> None:
        """The group moved: its feeds (merged into the supergroup's, when that was known)
        are read afresh, and what they held is decided again by their settings."""
        self.store.chats.migrate(old_id, new_id)
        for feed_id in self.store.feeds.of_chat(new_id):
            self.feeds.changed(feed_id, self.clock())

    def _mark_sent(self, row: Delivery, message_id: int | None, now: float) -> None:
        """Sent, with what its message shows (for later edits), in one commit."""
        with self.store.db.atomic():
            self.store.outbox.mark_sent(row.id, message_id, now)
            self.shown_messages.record(row, now)
        self.shown_messages.recorded(row)


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))
