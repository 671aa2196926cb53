"""The link to Telegram: start-up refusals named by setting, and polling health."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from telegram.error import InvalidToken

from bot.chat.connection import START_BACKOFF, PollingHealth, refusal
from bot.foundation.config import Config
from bot.foundation.errors import ConfigError
from tests.articles import write_article
from tests.clocks import FakeClock
from tests.conftest import Running, eventually, start_bot, with_settings
from tests.feeds import follow
from tests.standin import TOKEN, StandIn


def test_network_errors_while_polling_are_a_problem_only_after_the_grace() -> None:
    """A few failed long polls are ordinary; failing for the grace period is reported."""
    clock = FakeClock()
    health = PollingHealth(clock, grace=30)
    health.failed(None, "NetworkError")
    clock.now += 29
    health.failed(502)
    assert health.problems() == []
    clock.now += 1
    assert health.problems() == ["getUpdates has failed for 30 s: 502 Bad Gateway"]
    health.succeeded()
    assert health.problems() == []


def test_conflict_and_refused_token_while_polling_are_problems_at_once() -> None:
    """409 (another instance) and 401 need no grace: they do not pass by themselves."""
    health = PollingHealth(FakeClock(), grace=30)
    health.failed(409)
    assert health.problems() == [
        "another process is polling Telegram with this bot token (409 Conflict)"
    ]
    health.failed(401)
    assert health.problems() == ["Telegram refuses the bot token for getUpdates (401 Unauthorized)"]
    health.succeeded()
    assert health.problems() == []


def test_start_up_retries_back_off_to_a_minute() -> None:
    """Start-up retries wait 1, 2, 4 ... seconds, never more than 60."""
    delays = START_BACKOFF.delays()
    assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_404_names_the_base_url_and_a_401_the_token() -> None:
    """Telegram answers 404 to a wrong URL path and 401 to a refused token."""
    url = "http://127.0.0.1:1/wrong/bot"
    assert "TELEGRAM_BASE_URL looks wrong: http://127.0.0.1:1/wrong/bot answered 404" in str(
        refusal(InvalidToken("Not Found (404)"), TOKEN, url)
    )
    assert str(refusal(InvalidToken("Unauthorized"), TOKEN, url)) == (
        "TELEGRAM_BOT_TOKEN was refused by Telegram (401 Unauthorized)"
    )
    assert "TELEGRAM_BOT_TOKEN is not shaped like a bot token" in str(
        refusal(InvalidToken("Not Found"), "not-a-token", url)
    )


async def test_health_follows_getupdates_failing_and_recovering(running: Running) -> None:
    """409 and then 502s from getUpdates show in the bot's problems, and clear again."""
    bot, standin = running.bot, running.standin
    bot.polling.grace = 0  # no minute-long wait: any 5xx counts at once
    assert bot.problems() == []
    standin.poll_error = (409, "Conflict: terminated by other getUpdates request")
    await eventually(lambda: any("409 Conflict" in p for p in bot.problems()), 25)
    standin.poll_error = (502, "Bad Gateway")
    await eventually(lambda: any("502 Bad Gateway" in p for p in bot.problems()))
    standin.poll_error = None
    standin.say(5, "hello")  # so that the next long poll answers at once, not in 10 s
    await eventually(lambda: bot.problems() == [], timeout=20)


async def test_what_answered_a_failed_getupdates_is_not_repeated_by_health(
    running: Running,
) -> None:
    """A proxy's page (or Telegram's words) answering getUpdates reached /healthz's body
    as it was: the body has the status and its standard phrase only."""
    bot, standin = running.bot, running.standin
    bot.polling.grace = 0
    standin.poll_error = (502, "<html>proxy 10.1.2.3 of intranet.example</html>")
    await eventually(lambda: any("502 Bad Gateway" in p for p in bot.problems()))
    assert not any("proxy" in problem for problem in bot.problems())


async def test_a_token_revoked_for_getupdates_stops_the_bot_as_at_start(
    config: Config, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """getUpdates answering 401 while running: /healthz says so, and the bot stops cleanly
    with the one-line ConfigError of exit code 2, no traceback or warning logged."""
    caplog.set_level(logging.INFO)
    bot, task, _ = await start_bot(config, standin)
    standin.poll_error = (401, "Unauthorized")
    standin.say(5, "/help")  # ends the long poll under way: the next one is refused
    with pytest.raises(ConfigError, match=r"refused by Telegram while running \(getUpdates: 401"):
        await asyncio.wait_for(task, 15)
    assert any("refuses the bot token" in problem for problem in bot.problems())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    bot.store.close()


async def test_a_token_revoked_for_a_send_stops_the_bot_and_keeps_the_push(
    config: Config, standin: StandIn, articles: Path
) -> None:
    """A push answered 401 is not failed: it waits, pending and not counted as an
    attempt, for the next start, and the bot stops as at start (exit code 2)."""
    bot, task, _ = await start_bot(config, standin)
    follow(bot.store, 5, ["AI"])
    standin.token = "revoked"  # every request is answered 401 Unauthorized from now
    write_article(articles / "a.txt")
    with pytest.raises(ConfigError, match=r"refused by Telegram while running \(push: "):
        await asyncio.wait_for(task, 15)
    rows = bot.store.db.execute("SELECT state, attempts, last_error FROM deliveries").fetchall()
    assert [(state, attempts) for state, attempts, _ in rows] == [("pending", 0)]
    assert rows[0][2].startswith("token refused")
    bot.store.close()


async def test_a_stop_while_polling_waits_out_a_failure_comes_within_the_stop_timeout(
    config: Config, standin: StandIn
) -> None:
    """After a failed getUpdates, PTB sleeps (up to 30 s after network errors, a 429's
    retry_after) before it looks at a stop: SIGTERM must not wait for that sleep."""
    bot, task, stop = await start_bot(with_settings(config, stop_timeout=2.0), standin)
    standin.poll_error = (429, "Too Many Requests: retry after 60", {"retry_after": 60})
    await eventually(lambda: bot.polling.failure is not None)
    stopped_at = asyncio.get_running_loop().time()
    stop.set()
    await asyncio.wait_for(task, 10)
    assert asyncio.get_running_loop().time() - stopped_at < 2.0
    bot.store.close()


def test_polling_that_works_again_after_failing_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each failed poll is a warning; the first success after them is one INFO line, so
    the log shows when an outage ended, not only that it began."""
    caplog.set_level(logging.INFO, logger="bot.chat.connection")
    clock = FakeClock()
    health = PollingHealth(clock, grace=30)
    health.succeeded()
    health.failed(None, "httpx.ConnectError: All connection attempts failed")
    clock.now += 75
    health.failed(502, "Bad Gateway")
    health.succeeded()
    health.succeeded()
    assert [r.getMessage() for r in caplog.records] == [
        "polling Telegram works again, after 75 s of failures"
    ]
