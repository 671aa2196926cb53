"""Settings from the environment and a `.env` file, checked once at start."""

from __future__ import annotations

import difflib
import io
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.foundation.errors import ConfigError

T = TypeVar("T")

TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FREE_RATE_LIMIT = 30.0  # messages/s Telegram allows a bot without paid broadcasts
PAID_RATE_LIMIT = 1000.0  # messages/s with allow_paid_broadcast (paid in Telegram Stars)


@dataclass(frozen=True, slots=True)
class Config:
    token: str | None
    base_url: str = "https://api.telegram.org/bot"
    articles_dir: Path = Path("articles")
    db_path: Path = Path("newsbot.db")
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    watcher: str = "native"
    recursive: bool = False
    scan_interval: float = 300.0
    settle_seconds: float = 0.25
    max_file_bytes: int = 1024 * 1024
    rate_global: float = 30.0
    paid_broadcast: bool = False
    rate_private: float = 1.0
    rate_group_per_minute: float = 20.0
    send_window: int = 8
    retention_days: int = 30
    stop_timeout: float = 10.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    follow_edits: bool = True
    retract: bool = True
    story_threads: bool = True

    @property
    def base_file_url(self) -> str:
        """File downloads: the same server's `/file/bot` path (PTB `base_file_url`), so
        `https://api.telegram.org/bot` downloads from `https://api.telegram.org/file/bot`."""
        head, _, tail = self.base_url.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}"

    def __repr__(self) -> str:
        # the token must never reach a log line, even through a repr
        shown = "set" if self.token else "unset"
        return f"Config(token={shown}, db_path={self.db_path}, articles_dir={self.articles_dir})"


def load_config(
    environ: Mapping[str, str], env_file: Path | None = None, *, require_token: bool = False
) -> Config:
    """Build the settings: the environment wins over `env_file`; raise ConfigError on a bad one."""
    values = _Values({**_env_file_values(env_file), **environ})
    return _read(values, require_token=require_token)


def _read(values: _Values, *, require_token: bool) -> Config:

    def get(name: str, parse: Callable[[str], T], default: T, why: str) -> T:
        raw = values.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError:
            raise ConfigError(f"{name} is invalid: {why}, got {raw!r}") from None

    token = values.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is None and require_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather")
    if token is not None and not TOKEN_PATTERN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: expected '<digits>:<secret>' as @BotFather gives it"
        )
    defaults = Config(token=None)  # the defaults are stated once, in the dataclass
    paid_broadcast = get(
        "NEWSBOT_PAID_BROADCAST", _bool, defaults.paid_broadcast, "expected true or false"
    )
    rate_limit = PAID_RATE_LIMIT if paid_broadcast else FREE_RATE_LIMIT
    rate_global = get(
        "NEWSBOT_RATE_GLOBAL", _positive, defaults.rate_global, "expected messages/s > 0"
    )
    if rate_global > rate_limit:
        raise ConfigError(
            f"NEWSBOT_RATE_GLOBAL is too high: Telegram allows about {FREE_RATE_LIMIT:g} "
            "messages/s, more only with paid broadcasts (NEWSBOT_PAID_BROADCAST=true, "
            f"up to {PAID_RATE_LIMIT:g}), got {rate_global:g}"
            if not paid_broadcast
            else f"NEWSBOT_RATE_GLOBAL is too high: paid broadcasts allow up to "
            f"{PAID_RATE_LIMIT:g} messages/s, got {rate_global:g}"
        )
    return Config(
        token=token,
        base_url=get("TELEGRAM_BASE_URL", _url, defaults.base_url, "expected an http(s) URL"),
        articles_dir=get("NEWSBOT_ARTICLES_DIR", Path, defaults.articles_dir, "expected a path"),
        db_path=get("NEWSBOT_DB", Path, defaults.db_path, "expected a path"),
        admin_ids=get(
            "NEWSBOT_ADMIN_IDS",
            _ids,
            defaults.admin_ids,
            "expected comma-separated numeric user ids",
        ),
        log_level=get(
            "NEWSBOT_LOG_LEVEL", _choice(LOG_LEVELS), defaults.log_level, _one_of(LOG_LEVELS)
        ),
        log_format=get(
            "NEWSBOT_LOG_FORMAT",
            _choice(("TEXT", "JSON")),
            defaults.log_format,
            "expected text or json",
        ).lower(),
        watcher=get(
            "NEWSBOT_WATCHER",
            _choice(("NATIVE", "POLLING")),
            defaults.watcher,
            "expected native or polling",
        ).lower(),
        recursive=get("NEWSBOT_RECURSIVE", _bool, defaults.recursive, "expected true or false"),
        scan_interval=get(
            "NEWSBOT_SCAN_INTERVAL", _positive, defaults.scan_interval, "expected seconds > 0"
        ),
        settle_seconds=get(
            "NEWSBOT_SETTLE_SECONDS", _positive, defaults.settle_seconds, "expected seconds > 0"
        ),
        max_file_bytes=get(
            "NEWSBOT_MAX_FILE_BYTES", _count, defaults.max_file_bytes, "expected a byte count > 0"
        ),
        rate_global=rate_global,
        paid_broadcast=paid_broadcast,
        rate_private=get(
            "NEWSBOT_RATE_PRIVATE", _positive, defaults.rate_private, "expected messages/s > 0"
        ),
        rate_group_per_minute=get(
            "NEWSBOT_RATE_GROUP",
            _positive,
            defaults.rate_group_per_minute,
            "expected messages/min > 0",
        ),
        send_window=get("NEWSBOT_SEND_WINDOW", _count, defaults.send_window, "expected 1 or more"),
        retention_days=get(
            "NEWSBOT_RETENTION_DAYS", _count, defaults.retention_days, "expected days >= 1"
        ),
        stop_timeout=get(
            "NEWSBOT_STOP_TIMEOUT", _positive, defaults.stop_timeout, "expected seconds > 0"
        ),
        metrics_port=get(
            "NEWSBOT_METRICS_PORT", _port, defaults.metrics_port, "expected a port 1-65535"
        ),
        # any text may be an address: only binding the port can tell, so no parse error here
        metrics_host=values.get("NEWSBOT_METRICS_HOST", "").strip() or defaults.metrics_host,
        follow_edits=get(
            "NEWSBOT_FOLLOW_EDITS", _bool, defaults.follow_edits, "expected true or false"
        ),
        retract=get("NEWSBOT_RETRACT", _bool, defaults.retract, "expected true or false"),
        story_threads=get(
            "NEWSBOT_STORY_THREADS", _bool, defaults.story_threads, "expected true or false"
        ),
    )


def unknown_settings(environ: Mapping[str, str], env_file: Path | None = None) -> list[str]:
    """A warning for each NEWSBOT_ name that no setting reads, with the closest known name."""
    known = known_settings()
    given = {**_env_file_values(env_file), **environ}
    warnings = []
    for name in sorted(given):
        if name.startswith("NEWSBOT_") and name not in known:
            # compared without the shared prefix, which would make every name look close
            close = difflib.get_close_matches(name[8:], [k[8:] for k in sorted(known)], n=1)
            hint = f" (did you mean NEWSBOT_{close[0]}?)" if close else ""
            warnings.append(f"{name} is not a newsbot setting and is ignored{hint}")
    return warnings


def known_settings() -> frozenset[str]:
    """Every setting's name, as load_config asks for them."""
    values = _Values({})
    _read(values, require_token=False)
    return frozenset(values.asked)


class _Values(dict[str, str]):
    """The raw settings, remembering which names were asked for (so none is listed twice)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: str = "") -> str:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def _env_file_values(env_file: Path | None) -> dict[str, str]:
    """The settings file's values; ConfigError for a file that cannot be read whole, rather
    than python-dotenv's warning and a setting silently left at its default."""
    if env_file is None or not env_file.is_file():
        return {}
    try:
        text = env_file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{env_file} cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{env_file} is not UTF-8 text (byte {error.start}) (fix or remove it)"
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:  # the line itself is not shown: it may hold the token
            raise ConfigError(
                f"{env_file} line {binding.original.line} is not NAME=value (fix or remove it)"
            )
    values = dotenv_values(stream=io.StringIO(text))
    return {k: v for k, v in values.items() if v is not None}


def cleartext_host(base_url: str) -> str | None:
    """The host a plain-http Bot API URL sends the token to, unless it is this machine
    (loopback: a local Bot API server or a test double); None for https."""
    parts = urlsplit(base_url)
    if parts.scheme.lower() != "http":
        return None
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:  # a name, not an address: it may resolve anywhere
        pass
    return host


def _url(raw: str) -> str:
    if not re.match(r"^https?://[^\s/]+", raw):
        raise ValueError(raw)
    return raw


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.split(",") if part.strip())


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.upper() not in options:
            raise ValueError(raw)
        return raw.upper()

    return parse


def _one_of(options: tuple[str, ...]) -> str:
    return "expected one of " + ", ".join(options)


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _positive(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _count(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError(raw)
    return value
