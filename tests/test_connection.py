"""The link to Telegram: start-up refusals named by setting, and polling health."""

from __future__ import annotations

from telegram.error import InvalidToken

from bot.connection import PollingHealth, refusal, retry_delays
from tests.conftest import Running, eventually
from tests.standin import TOKEN
from tests.test_pacing import FakeClock


def test_network_errors_while_polling_are_a_problem_only_after_the_grace() -> None:
    """A few failed long polls are ordinary; failing for the grace period is reported."""
    clock = FakeClock()
    health = PollingHealth(clock, grace=30)
    health.failed(None, "httpx.ConnectError: Name or service not known")
    clock.now += 29
    health.failed(502, "Bad Gateway")
    assert health.problems() == []
    clock.now += 1
    assert health.problems() == ["getUpdates has failed for 30 s: 502 Bad Gateway"]
    health.succeeded()
    assert health.problems() == []


def test_conflict_and_refused_token_while_polling_are_problems_at_once() -> None:
    """409 (another instance) and 401 need no grace: they do not pass by themselves."""
    health = PollingHealth(FakeClock(), grace=30)
    health.failed(409, "Conflict: terminated by other getUpdates request")
    assert health.problems() == [
        "another process is polling Telegram with this bot token (409 Conflict)"
    ]
    health.failed(401, "Unauthorized")
    assert health.problems() == ["Telegram refuses the bot token for getUpdates (401 Unauthorized)"]
    health.succeeded()
    assert health.problems() == []


def test_start_up_retries_back_off_to_a_minute() -> None:
    """Start-up retries wait 1, 2, 4 ... seconds, never more than 60."""
    delays = retry_delays()
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


async def test_a_token_revoked_while_running_shows_in_health(running: Running) -> None:
    """getUpdates answering 401 makes the bot unhealthy, with the reason."""
    bot, standin = running.bot, running.standin
    standin.poll_error = (401, "Unauthorized")
    await eventually(lambda: any("refuses the bot token" in p for p in bot.problems()), 25)
    standin.poll_error = None
