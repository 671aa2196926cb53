"""The one backoff rule every retry in newsbot waits by."""

from __future__ import annotations

from itertools import islice

from bot.articles.watcher import BUSY_BACKOFF
from bot.delivery.sender import SEND_BACKOFF
from bot.foundation.backoff import Backoff


def test_waits_double_from_the_first_up_to_the_cap() -> None:
    """1, 2, 4 ... seconds after one, two, three failures, then the cap for ever."""
    assert list(islice(Backoff(1.0, 60.0).delays(), 8)) == [1, 2, 4, 8, 16, 32, 60, 60]
    assert [Backoff(0.5, 30.0).delay(n) for n in (1, 2, 3, 7, 8)] == [0.5, 1, 2, 30, 30]


def test_a_very_long_run_of_failures_waits_the_cap_without_overflow() -> None:
    """Days of failures in a row (a long outage) still give the cap, not an OverflowError."""
    assert Backoff(1.0, 300.0).delay(10**6) == 300.0
    assert Backoff(0.01, 0.16).delay(0) == 0.01  # no failure yet counts as the first


def test_each_retry_states_its_own_first_wait_and_cap() -> None:
    """Sends back off from 1 s to 5 minutes, a busy database from 0.5 s to 30 s."""
    assert (SEND_BACKOFF.first, SEND_BACKOFF.cap) == (1.0, 300.0)
    assert (BUSY_BACKOFF.first, BUSY_BACKOFF.cap) == (0.5, 30.0)
