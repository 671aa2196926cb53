"""When a feed's push may go: quiet hours and digest times, in the feed's own time zone.

Pure arithmetic over aware datetimes; no clock, no database. A quiet window is wall-clock
time (`22:00-07:00` may cross midnight); it ends at the first instant the feed's clock
shows a time outside it: normally when the clock reads its end, and at the clock change
itself when the change jumps out of the window (forward past its end, or back to before
its start). On a fall-back night the repeated hour may enter the window again; it is
then left again at the second reading of its end.
A daily digest goes at the first instant after now that the clock reads its time (once a
day: the first of two readings on a fall-back night, the instant after the gap when the
clock skips it).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

from bot.foundation.translations import N_, Refusal

MINUTES_PER_DAY = 24 * 60
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ONE_SECOND = timedelta(seconds=1)


class ScheduleError(Refusal):
    """A quiet window or digest time that cannot be used, with the reason for the user."""


@dataclass(frozen=True, slots=True)
class Window:
    """A daily quiet window in wall-clock minutes: [start, end), across midnight when end < start."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ScheduleError(N_("a quiet window needs different start and end times"))
        if not (0 <= self.start < MINUTES_PER_DAY and 0 <= self.end < MINUTES_PER_DAY):
            raise ScheduleError(N_("times run from 00:00 to 23:59"))

    def holds(self, minute: int) -> bool:
        """Whether the minute of the day (0-1439) is inside the window."""
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


@dataclass(frozen=True, slots=True)
class Plan:
    """What decides a feed's push times: its zone, quiet window and digest."""

    zone: ZoneInfo
    quiet: Window | None = None
    digest: str = "off"  # off | hourly | daily
    digest_at: int = 0  # minute of the day of a daily digest

    @property
    def plain(self) -> bool:
        """Pushes go at once, always: nothing to compute."""
        return self.quiet is None and self.digest == "off"


def parse_clock(text: str) -> int:
    """`HH:MM` as minutes of the day."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ScheduleError(N_("“{text}” is not a time like 07:30"), text=text)
    return int(match[1]) * 60 + int(match[2])


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_window(text: str) -> Window:
    """`22:00-07:00` as a Window; an empty window (same start and end) is refused."""
    start, dash, end = text.partition("-")
    if not dash:
        raise ScheduleError(N_("“{text}” is not a window like 22:00-07:00"), text=text)
    return Window(parse_clock(start), parse_clock(end))


def release_at(plan: Plan, moment: datetime) -> datetime | None:
    """When a push due at `moment` may go: None for at once, else a later instant (UTC)."""
    if plan.plain:
        return None
    # windows and digest times are whole minutes, so every moment of one minute gets the
    # same answer: computed once per plan and minute, however many feeds share the plan
    return _release_in_minute(plan, moment.astimezone(UTC).replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=4096)
def _release_in_minute(plan: Plan, minute: datetime) -> datetime | None:
    moment = minute
    due: datetime | None = None
    if plan.digest == "hourly":
        due = next_hour(plan.zone, moment)
    elif plan.digest == "daily":
        due = next_daily(plan.zone, plan.digest_at, moment)
    if plan.quiet is not None:
        end = quiet_end(plan.quiet, plan.zone, due or moment)
        if end is not None:
            due = end
    return due


def _minute(zone: ZoneInfo, moment: datetime) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def quiet_end(window: Window, zone: ZoneInfo, moment: datetime) -> datetime | None:
    """The first instant after `moment` outside the window; None when `moment` is outside."""
    if not window.holds(_minute(zone, moment)):
        return None
    today = moment.astimezone(zone).date()
    end = wall_time(window.end // 60, window.end % 60)
    exit_ = min(
        candidate
        for candidate in _readings(zone, today, end, days=3)
        if candidate > moment and not window.holds(_minute(zone, candidate))
    )
    # a clock change on the way can leave the window earlier: forward past its end, or
    # back to before its start
    before, after = moment.astimezone(zone).utcoffset(), exit_.astimezone(zone).utcoffset()
    if before == after:
        return exit_
    old, new = moment, exit_
    while new - old > _ONE_SECOND:
        middle = old + (new - old) / 2
        if middle.astimezone(zone).utcoffset() == before:
            old = middle
        else:
            new = middle
    change = new.replace(microsecond=0)  # clocks change on whole seconds
    return exit_ if window.holds(_minute(zone, change)) else change


def next_hour(zone: ZoneInfo, moment: datetime) -> datetime:
    """The next full hour of the feed's clock after `moment`."""
    local = moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC) + timedelta(hours=1)


def next_daily(zone: ZoneInfo, minute: int, moment: datetime) -> datetime:
    """The first instant after `moment` at which the feed's clock reads `minute`."""
    today = moment.astimezone(zone).date()
    at = wall_time(minute // 60, minute % 60)
    return min(
        candidate
        for candidate in _readings(zone, today, at, days=3, folds=(0,))
        if candidate > moment
    )


def _readings(
    zone: ZoneInfo, first: date, at: wall_time, *, days: int, folds: tuple[int, ...] = (0, 1)
) -> list[datetime]:
    """The instants (UTC) at which the clock reads `at` from the day before `first` on;
    both readings of a repeated time, and a skipped time where the jump puts it."""
    readings = []
    for offset in range(-1, days):
        day = first + timedelta(days=offset)
        for fold in folds:
            local = datetime.combine(day, at, tzinfo=zone).replace(fold=fold)
            readings.append(local.astimezone(UTC))
    return readings
