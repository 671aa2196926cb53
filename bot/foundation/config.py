"""Settings from the environment and a `.env` file, checked once at start."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.foundation.envfile import env_file_values, looked_in
from bot.foundation.errors import ConfigError

TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FREE_RATE_LIMIT = 30.0  # messages/s Telegram allows a bot without paid broadcasts
PAID_RATE_LIMIT = 1000.0  # messages/s with allow_paid_broadcast (paid in Telegram Stars)
DEFAULT_PERMALINK = "/:year/:month/:day/:title/"  # a static site's links: bot.articles.permalinks
PERMALINK_PLACEHOLDER = re.compile(r":(year|month|day|title|slug|section|categories)(?![a-z_])")


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
    backlog_max: int = 5  # 0: off
    retention_days: int = 30
    stop_timeout: float = 10.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    follow_edits: bool = True
    retract: bool = True
    story_threads: bool = True
    site_url: str | None = None
    permalink: str = DEFAULT_PERMALINK
    withdraw_grace: float = 60.0
    max_withdrawals: int = 20

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


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: the variable, the Config field it fills, how its text is read, what it means.

    A blank or missing variable leaves the field at its default, stated once in `Config`.
    """

    name: str
    field: str
    parse: Callable[[str], Any]  # raises ValueError for text that is no valid value
    why: str  # what a valid value looks like, for the one-line error
    meaning: str  # one line, as README's Configuration table says it
    secret: bool = False  # the error never shows the value
    check: Callable[[Any, Mapping[str, Any]], None] | None = None  # against the fields read before

    @property
    def default(self) -> Any:
        """The field's default in `Config`."""
        return getattr(_DEFAULTS, self.field)


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


def _permalink(raw: str) -> str:
    # a `:word` left after the known placeholders would end up in every link as it is
    if not re.fullmatch(r"/\S*", raw) or re.search(r":[a-z_]", PERMALINK_PLACEHOLDER.sub("", raw)):
        raise ValueError(raw)
    return raw


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.split(",") if part.strip())


def _choice(*options: str) -> Callable[[str], str]:
    """One of `options` in any case, given back as spelled there."""
    spelled = {option.upper(): option for option in options}

    def parse(raw: str) -> str:
        try:
            return spelled[raw.upper()]
        except KeyError:
            raise ValueError(raw) from None

    return parse


def _token(raw: str) -> str:
    if not TOKEN_PATTERN.match(raw):
        raise ValueError("malformed")  # the token itself is not named: it is a secret
    return raw


def _text(raw: str) -> str:
    return raw


def _check_rate_limit(rate_global: float, read: Mapping[str, Any]) -> None:
    """Above Telegram's free rate only with paid broadcasts, and never above their limit."""
    paid = read["paid_broadcast"]
    if rate_global <= (PAID_RATE_LIMIT if paid else FREE_RATE_LIMIT):
        return
    raise ConfigError(
        f"NEWSBOT_RATE_GLOBAL is too high: paid broadcasts allow up to "
        f"{PAID_RATE_LIMIT:g} messages/s, got {rate_global:g}"
        if paid
        else f"NEWSBOT_RATE_GLOBAL is too high: Telegram allows about {FREE_RATE_LIMIT:g} "
        "messages/s, more only with paid broadcasts (NEWSBOT_PAID_BROADCAST=true, "
        f"up to {PAID_RATE_LIMIT:g}), got {rate_global:g}"
    )


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


def _backlog(raw: str) -> int:
    """Pushes one feed may owe at once before they go as one digest; `off`: 0, never."""
    if raw.strip().lower() == "off":
        return 0
    value = int(raw)
    if not 1 <= value <= 1000:
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError(raw)
    return value


_BOOL = "expected true or false"

# Every setting, one row each, in the order they are checked. A new setting is a field in
# `Config` (with its default), a row here, a line in .env.example and one in README.
# fmt: off
SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "token", _token,
            "expected '<digits>:<secret>' as @BotFather gives it",
            "from @BotFather; never logged", secret=True),
    Setting("NEWSBOT_PAID_BROADCAST", "paid_broadcast", _bool, _BOOL,
            "lets the rate go above 30; pushes are sent with `allow_paid_broadcast` "
            "(paid in Telegram Stars)"),
    Setting("NEWSBOT_RATE_GLOBAL", "rate_global", _positive, "expected messages/s > 0",
            "messages per second over all chats; above 30 only with paid broadcasts (up to 1000)",
            check=_check_rate_limit),
    Setting("TELEGRAM_BASE_URL", "base_url", _url, "expected an http(s) URL",
            "Bot API endpoint (`base_url` of python-telegram-bot); `http://` to a host other "
            "than this machine is warned about at start, since the token is in every request's "
            "path"),
    Setting("NEWSBOT_ARTICLES_DIR", "articles_dir", Path, "expected a path",
            "the watched folder"),
    Setting("NEWSBOT_DB", "db_path", Path, "expected a path",
            "the SQLite database file"),
    Setting("NEWSBOT_ADMIN_IDS", "admin_ids", _ids, "expected comma-separated numeric user ids",
            "comma-separated Telegram user ids of the bot's admins"),
    Setting("NEWSBOT_LOG_LEVEL", "log_level", _choice(*LOG_LEVELS),
            "expected one of " + ", ".join(LOG_LEVELS),
            "`TRACE`, `DEBUG` … `CRITICAL`; `TRACE` adds watchdog's line per file event"),
    Setting("NEWSBOT_LOG_FORMAT", "log_format", _choice("text", "json"), "expected text or json",
            "`text` or `json` (one object per line)"),
    Setting("NEWSBOT_WATCHER", "watcher", _choice("native", "polling"),
            "expected native or polling", "`polling` for NFS/SMB/Docker Desktop mounts"),
    Setting("NEWSBOT_RECURSIVE", "recursive", _bool, _BOOL,
            "watch subfolders too"),
    Setting("NEWSBOT_SCAN_INTERVAL", "scan_interval", _positive, "expected seconds > 0",
            "seconds between reconciling scans of the folder"),
    Setting("NEWSBOT_SETTLE_SECONDS", "settle_seconds", _positive, "expected seconds > 0",
            "quiet time before reading a file still being written"),
    Setting("NEWSBOT_MAX_FILE_BYTES", "max_file_bytes", _count, "expected a byte count > 0",
            "larger files are refused"),
    Setting("NEWSBOT_RATE_PRIVATE", "rate_private", _positive, "expected messages/s > 0",
            "messages per second to one private chat"),
    Setting("NEWSBOT_RATE_GROUP", "rate_group_per_minute", _positive, "expected messages/min > 0",
            "messages per minute to one group or channel"),
    Setting("NEWSBOT_SEND_WINDOW", "send_window", _count, "expected 1 or more",
            "pushes in flight at once (the most one crash can double)"),
    Setting("NEWSBOT_BACKLOG_MAX", "backlog_max", _backlog, "expected 1-1000 or off",
            "pushes one feed may owe at once (after downtime, many files at once) before they "
            "go as one digest; per feed: `/set backlog`"),
    Setting("NEWSBOT_RETENTION_DAYS", "retention_days", _count, "expected days >= 1",
            "days to keep settled pushes and handled update ids (`/stats` keeps counting them)"),
    Setting("NEWSBOT_STOP_TIMEOUT", "stop_timeout", _positive, "expected seconds > 0",
            "seconds for a clean stop"),
    Setting("NEWSBOT_METRICS_PORT", "metrics_port", _port, "expected a port 1-65535",
            "serve `/healthz` and `/metrics` on this port"),
    # any text may be an address: only binding the port can tell, so no parse error here
    Setting("NEWSBOT_METRICS_HOST", "metrics_host", _text, "",
            "address for that port"),
    Setting("NEWSBOT_FOLLOW_EDITS", "follow_edits", _bool, _BOOL,
            "edit sent pushes when their article changes (see \"Messages follow their article\")"),
    Setting("NEWSBOT_RETRACT", "retract", _bool, _BOOL,
            "delete (or, after 48 hours, mark withdrawn) sent pushes of a withdrawn article"),
    Setting("NEWSBOT_STORY_THREADS", "story_threads", _bool, _BOOL,
            "a follow-up article replies to the earlier push it lists in `related`"),
    Setting("NEWSBOT_SITE_URL", "site_url", lambda raw: _url(raw).rstrip("/"), "expected an http(s) URL",
            "a static site's address: posts without `webUrl` get links under it (see \"Static sites\")"),
    Setting("NEWSBOT_PERMALINK", "permalink", _permalink, "expected a path starting with / of text and :year, :month, :day, :title, :slug, :section, :categories",
            "the path of those links, with `:year` `:month` `:day` `:title`/`:slug` `:section` `:categories`"),
    Setting("NEWSBOT_WITHDRAW_GRACE", "withdraw_grace", _positive, "expected seconds > 0",
            "seconds a removed article file must stay away before its pushes are withdrawn; "
            "one back sooner changes nothing"),
    Setting("NEWSBOT_MAX_WITHDRAWALS", "max_withdrawals", _count, "expected 1 or more",
            "more files gone within one grace period are held until they return or an admin "
            "releases them (`/release`, `newsbot release`)"),
)
# fmt: on
_DEFAULTS = Config(token=None)  # the defaults are stated once, in the dataclass


def load_config(
    environ: Mapping[str, str], env_file: Path | None = None, *, require_token: bool = False
) -> Config:
    """Build the settings: the environment wins over `env_file`; raise ConfigError on a bad one."""
    values = {**env_file_values(env_file), **environ}
    if require_token and not values.get("TELEGRAM_BOT_TOKEN", "").strip():
        raise ConfigError(
            f"TELEGRAM_BOT_TOKEN is not set {looked_in(env_file)}: get one from @BotFather"
        )
    read: dict[str, Any] = {}
    for setting in SETTINGS:  # in the table's order, so the first bad one is named
        read[setting.field] = _read(setting, values.get(setting.name, "").strip())
        if setting.check is not None:
            setting.check(read[setting.field], read)
    return Config(**read)


def _read(setting: Setting, raw: str) -> Any:
    """One setting's value from its text; its default when the text is blank."""
    if not raw:
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError:
        if setting.secret:
            raise ConfigError(f"{setting.name} is malformed: {setting.why}") from None
        raise ConfigError(f"{setting.name} is invalid: {setting.why}, got {raw!r}") from None


def unknown_settings(environ: Mapping[str, str], env_file: Path | None = None) -> list[str]:
    """A warning for each NEWSBOT_ name that no setting reads, with the closest known name,
    and for each TELEGRAM_ name close to one of ours (others may be another program's)."""
    known = sorted(known_settings())
    given = {**env_file_values(env_file), **environ}
    warnings = []
    for name in sorted(given):
        prefix = name.split("_", 1)[0] + "_"
        if prefix not in ("NEWSBOT_", "TELEGRAM_") or name in known:
            continue
        # compared without the shared prefix, which would make every name look close
        ours = [k.removeprefix(prefix) for k in known if k.startswith(prefix)]
        close = difflib.get_close_matches(name.removeprefix(prefix), ours, n=1)
        if close or prefix == "NEWSBOT_":
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            warnings.append(f"{name} is not a newsbot setting and is ignored{hint}")
    return warnings


def known_settings() -> frozenset[str]:
    """Every setting's name, from the table."""
    return frozenset(setting.name for setting in SETTINGS)
