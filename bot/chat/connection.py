"""The link to Telegram: which start-up failures may pass, and whether polling works.

At start (getMe, the command menus, deleteWebhook) a failure that may pass (no network,
DNS, a timeout, a 5xx, a 429) is retried after 1, 2, 4 ... 60 s, one log line a try; one
that cannot is one line and exit 2: 401 is a refused token, and 404 a malformed token or a
`TELEGRAM_BASE_URL` that is no Bot API (Telegram answers 404 to a bad URL path).
While running, every getUpdates answer is noted: 409 (another instance polls with our
token) and 401/404 are problems at once; network errors and 5xx once they have lasted
POLL_GRACE_SECONDS, since a few failed long polls in a row are ordinary. A 401 or 404
while running (the token was revoked) to getUpdates, a send or a reply is a `Revocation`:
the bot stops as at start-up (exit 2) rather than run on unable to do anything, and
what was queued waits for the next start. A stop does not wait out PTB's sleep between
failed polls (`stop_polling`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Updater

from bot.chat.requests import JsonRequest
from bot.foundation.backoff import Backoff
from bot.foundation.config import Config
from bot.foundation.errors import ConfigError
from bot.foundation.logs import TOKEN_SHAPE
from bot.foundation.reachability import Reachability

log = logging.getLogger(__name__)

POLL_GRACE_SECONDS = 30.0
NO_UPDATES = b'{"ok": true, "result": []}'
# start-up steps that fail in a way that may pass: again after 1, 2, 4 ... s, at most a minute
START_BACKOFF = Backoff(first=1.0, cap=60.0)
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
# a stop waits this long for polling to notice it before cutting PTB's sleep short;
# PTB's name for the task that polls
POLL_STOP_SECONDS = 0.5
PTB_POLLING_TASK = "Updater:start_polling:polling_task"


async def announce_running(started: asyncio.Event, username: str, config: Config) -> None:
    """The running line, once the start-up scan (a first start's baseline) is done: which
    bot to open in Telegram, where files go, where the database is (absolute: a newcomer's
    working directory is not always known)."""
    await started.wait()
    folder, database = config.articles_dir.absolute(), config.db_path.absolute()
    log.info("newsbot is running as @%s: watching %s, database %s", username, folder, database)


def unreachable_line(error: TelegramError, again: str, config: Config) -> str:
    """A start-up try that failed: the folder too, whose files wait for the connection."""
    folder = config.articles_dir.absolute()
    return f"cannot reach Telegram ({error}); {again}; files in {folder} are read once it answers"


def is_transient(error: TelegramError) -> bool:
    """Whether a start-up failure may pass by itself (network, timeout, 5xx, 429)."""
    return isinstance(error, NetworkError | RetryAfter)


def refusal(error: InvalidToken, token: str | None, base_url: str) -> ConfigError:
    """The one-line reason for a 401 or 404 at start-up, naming the setting to fix."""
    # Bot.get_me re-raises with the token in the text; the HTTP answer is in the cause
    if "Not Found" not in f"{error} {error.__cause__}":
        return ConfigError("TELEGRAM_BOT_TOKEN was refused by Telegram (401 Unauthorized)")
    if token is not None and not TOKEN_SHAPE.fullmatch(token):
        return ConfigError(
            "TELEGRAM_BOT_TOKEN is not shaped like a bot token (Telegram answered 404)"
        )
    return ConfigError(
        f"TELEGRAM_BASE_URL looks wrong: {base_url} answered 404 Not Found to getMe "
        f"(the default is {DEFAULT_BASE_URL})"
    )


class Revocation:
    """Telegram refused the token while the bot runs: `NewsBot` waits for `happened`,
    stops cleanly and exits 2 with `error()`."""

    def __init__(self) -> None:
        self.happened = asyncio.Event()
        self.reason: str | None = None

    def refused(self, reason: str) -> None:
        """Whoever meets the refusal first (getUpdates, a send, a reply) tells it here."""
        self.reason = self.reason or reason
        self.happened.set()

    def error(self) -> ConfigError:
        return ConfigError(
            f"TELEGRAM_BOT_TOKEN was refused by Telegram while running ({self.reason}); "
            "stopped with nothing queued lost"
        )


class PollingHealth:
    """What the last getUpdates answers say about polling; `problems()` for /healthz."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, grace: float = POLL_GRACE_SECONDS
    ) -> None:
        self.clock = clock
        self.grace = grace
        self.failing_since: float | None = None
        self.failure: str | None = None
        self.at_once = False  # a failure that is a problem without waiting for the grace

    def succeeded(self) -> None:
        if self.failing_since is not None:
            lasted = self.clock() - self.failing_since
            log.info("polling Telegram works again, after %.0f s of failures", lasted)
        self.failing_since = None
        self.failure = None
        self.at_once = False

    def failed(self, status: int | None, error: str = "") -> None:
        """A getUpdates that failed: the HTTP status of its answer, or (None) the name of
        the `error` that left none. What the answer said is not kept: /healthz shows the
        failure, and a reply (a proxy's page) is no text for a health port to repeat."""
        if self.failing_since is None:
            self.failing_since = self.clock()
        self.at_once = status in (401, 404, 409)
        if status == 409:
            self.failure = "another process is polling Telegram with this bot token (409 Conflict)"
        elif status in (401, 404):
            self.failure = f"Telegram refuses the bot token for getUpdates ({_status(status)})"
        else:
            self.failure = (error or "no answer") if status is None else _status(status)

    def problems(self) -> list[str]:
        if self.failing_since is None or self.failure is None:
            return []
        lasted = self.clock() - self.failing_since
        if self.at_once:
            return [self.failure]
        if lasted >= self.grace:
            return [f"getUpdates has failed for {lasted:.0f} s: {self.failure}"]
        return []


def _status(code: int) -> str:
    """An HTTP status with its standard phrase (`502 Bad Gateway`)."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def log_polling_error(error: TelegramError) -> None:
    """PTB's `error_callback` for a failed getUpdates (it retries by itself)."""
    if isinstance(error, Conflict):
        log.error(
            "another process is polling Telegram with this bot token (409 Conflict); "
            "stop the other instance"
        )
    else:
        log.warning("polling Telegram failed: %s", error)


class ObservedRequest(JsonRequest):
    """PTB's HTTP client for getUpdates, telling `health` how each answer went, `reach`
    whether the API answers (the sender holds its queue while it does not), and
    `revocation` of a refused token."""

    def __init__(
        self,
        health: PollingHealth,
        revocation: Revocation,
        reach: Reachability | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.health = health
        self.revocation = revocation
        self.reach = reach or Reachability()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.revocation.reason is not None:  # PTB's last call as polling stops: no use
            return 200, NO_UPDATES
        try:
            status, payload = await super().do_request(*args, **kwargs)
        except TelegramError as error:  # no answer at all: network, DNS, timeout
            self.health.failed(None, type(error).__name__)
            self.reach.lost(f"getUpdates: {type(error).__name__}", poll=True)
            raise
        if 200 <= status <= 299:
            self.health.succeeded()
        else:
            self.health.failed(status)
        if status >= 500:
            self.reach.lost(f"getUpdates: {status}", poll=True)
        else:
            self.reach.polled()
        if status in (401, 404):
            self.revocation.refused(f"getUpdates: {status} {_description(payload)}")
            # the bot is stopping: this poll waits for the stop to cancel it, rather than
            # end polling with PTB's traceback for an invalid token
            await asyncio.Future()
        return status, payload


def _description(payload: bytes) -> str:
    """The Bot API's `description`, or the start of whatever else answered."""
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("description"), str):
        return str(answer["description"])
    return payload[:80].decode("utf-8", "replace").strip() or "no description"


async def stop_polling(updater: Updater) -> None:
    """`updater.stop()`, without waiting out PTB's sleep after a failed getUpdates (up to
    30 s after network errors, a 429's retry_after): PTB looks at the stop only after it,
    which would take a stop during an outage past NEWSBOT_STOP_TIMEOUT."""
    stopping = asyncio.create_task(updater.stop())
    done, _ = await asyncio.wait([stopping], timeout=POLL_STOP_SECONDS)
    if not done:  # asleep: the polling task is cut short, and the stop goes on from there
        for task in asyncio.all_tasks():
            if task.get_name() == PTB_POLLING_TASK:
                task.cancel()
    await stopping
