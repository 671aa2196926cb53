"""Quiet windows and digest times in a feed's zone: across midnight and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.schedule import (
    Plan,
    ScheduleError,
    Window,
    next_daily,
    next_hour,
    parse_clock,
    parse_window,
    quiet_end,
    release_at,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# the 2026 DST changes: Berlin Mar 29 / Oct 25, New York Mar 8 / Nov 1
TRANSITIONS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]

zones = st.sampled_from([BERLIN, NEW_YORK])
# instants within two days of a DST change, to the second
moments = st.builds(
    lambda base, seconds: base + timedelta(seconds=seconds),
    st.sampled_from(TRANSITIONS),
    st.integers(-2 * 86400, 2 * 86400),
)
windows = st.tuples(st.integers(0, 1439), st.integers(0, 1439)).filter(lambda p: p[0] != p[1])


def minute_of(zone: ZoneInfo, moment: datetime) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


@settings(max_examples=400, deadline=None)
@given(zones, windows, moments)
def test_quiet_window_ends_at_the_first_instant_outside_it(
    zone: ZoneInfo, bounds: tuple[int, int], moment: datetime
) -> None:
    """A push inside the window waits until the clock first leaves it, never longer."""
    window = Window(*bounds)
    end = quiet_end(window, zone, moment)
    if not window.holds(minute_of(zone, moment)):
        assert end is None
        return
    assert end is not None and end > moment
    # within a day and an hour, or a day more when the clock skipped the end that night
    assert end - moment <= timedelta(hours=49)
    assert not window.holds(minute_of(zone, end))
    for step in range(1, 16):  # every instant on the way is quiet
        between = moment + (end - moment) * step / 16
        if between < end - timedelta(seconds=1):
            assert window.holds(minute_of(zone, between))


@settings(max_examples=300, deadline=None)
@given(zones, st.integers(0, 1439), moments)
def test_daily_digest_goes_once_at_its_wall_time(
    zone: ZoneInfo, minute: int, moment: datetime
) -> None:
    """The next daily digest is the next reading of its time, within a day and an hour."""
    due = next_daily(zone, minute, moment)
    assert moment < due <= moment + timedelta(hours=25)
    local = due.astimezone(zone)
    naive_round_trip = datetime.combine(local.date(), local.time()).replace(tzinfo=zone)
    skipped = minute_of(zone, due) != minute  # the clock jumped over it that night
    assert skipped or (local.hour * 60 + local.minute == minute)
    assert naive_round_trip.utcoffset() is not None
    # and not a second time before a day has passed
    assert next_daily(zone, minute, due) - due >= timedelta(hours=23)


@settings(max_examples=200, deadline=None)
@given(zones, moments)
def test_hourly_digest_goes_at_the_next_full_hour(zone: ZoneInfo, moment: datetime) -> None:
    """Hourly digests go on the feed's full hours, at most an hour apart."""
    due = next_hour(zone, moment)
    assert moment < due <= moment + timedelta(hours=1)
    assert due.astimezone(zone).minute == 0 and due.second == 0


@settings(max_examples=200, deadline=None)
@given(zones, windows, moments)
def test_a_digest_due_in_quiet_hours_goes_when_they_end(
    zone: ZoneInfo, bounds: tuple[int, int], moment: datetime
) -> None:
    """The digest time never falls inside the quiet window."""
    window = Window(*bounds)
    due = release_at(Plan(zone, window, "hourly"), moment)
    assert due is not None and due > moment
    assert not window.holds(minute_of(zone, due))


def test_window_across_midnight_holds_late_evening_and_early_morning() -> None:
    """22:00-07:00 holds 23:30 and 06:59, not 07:00 or 21:59."""
    window = parse_window("22:00-07:00")
    assert window.holds(23 * 60 + 30) and window.holds(6 * 60 + 59)
    assert not window.holds(7 * 60) and not window.holds(21 * 60 + 59)


def test_quiet_hours_end_in_the_morning_across_midnight_in_berlin() -> None:
    """A push at 23:30 Berlin time in 22:00-07:00 waits until 07:00 Berlin time."""
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN).astimezone(UTC)
    end = quiet_end(parse_window("22:00-07:00"), BERLIN, moment)
    assert end == datetime(2026, 6, 2, 7, 0, tzinfo=BERLIN).astimezone(UTC)


def test_window_ending_in_the_spring_gap_ends_at_the_jump() -> None:
    """01:00-02:30 on the night Berlin skips 02:00-03:00 ends at 03:00 CEST, the jump."""
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN).astimezone(UTC)
    end = quiet_end(parse_window("01:00-02:30"), BERLIN, moment)
    assert end == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_empty_and_malformed_windows_are_refused() -> None:
    """Same start and end, bad clock times and missing dashes are refused with a reason."""
    for text in ("22:00-22:00", "25:00-07:00", "22:00", "22-07", "7:60-8:00"):
        with pytest.raises(ScheduleError):
            parse_window(text)
    assert parse_clock("7:05") == 425


def test_plain_plan_never_holds() -> None:
    """Without quiet hours or a digest a push goes at once."""
    assert release_at(Plan(BERLIN), datetime(2026, 1, 1, tzinfo=UTC)) is None
