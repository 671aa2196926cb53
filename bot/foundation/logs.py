"""Logging: readable lines or JSON lines, and never the bot token."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

# below DEBUG: the libraries' own chatter (watchdog's every inotify event) shows only here
TRACE = 5

# a bot token anywhere: in an httpx URL, an exception text, a repr
TOKEN_SHAPE = re.compile(r"\d{3,15}:[A-Za-z0-9_-]{20,}")
REDACTED = "<token>"
# how PTB's updater begins its error when a stop cannot confirm the updates it fetched
UNCONFIRMED_UPDATES = "Error while calling `get_updates` one more time"


def redact(text: str, token: str | None = None) -> str:
    """Remove the token, and anything shaped like one, from a text."""
    if token:
        text = text.replace(token, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats a record (with its traceback) and then takes the token out."""

    def __init__(self, token: str | None, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self.token = token
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            return redact(super().format(record), self.token)
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False), self.token)


class QuietPtbTracebacks(logging.Filter):
    """PTB logs an error with a traceback where one warning line says it all:
    - every non-JSON answer (a TELEGRAM_BASE_URL that is no Bot API, a proxy's error
      page): the reason is reported in one line anyway;
    - a stop while Telegram fails, when PTB cannot confirm the updates it fetched: the
      next start may get them again, and `bot.chat.guard` acts on each update once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("telegram"):
            return True
        message = str(record.msg)
        if message.startswith(UNCONFIRMED_UPDATES) and record.exc_info:
            reason = record.exc_info[1]
            record.msg = (
                "could not confirm the last updates to Telegram while stopping (%s); "
                "the next start may get them again and acts on each once"
            )
            record.args = (str(reason) or type(reason).__name__,)
        elif not message.startswith("Can not load invalid JSON data"):
            return True
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def setup_logging(
    level: str, fmt: str = "text", token: str | None = None, stream: TextIO | None = None
) -> None:
    """Send every log line through one redacting handler. DEBUG is ours and PTB's (and
    httpx's, scrubbed); TRACE adds watchdog's event-by-event lines."""
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(token, as_json=fmt == "json"))
    handler.addFilter(QuietPtbTracebacks())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs each request URL, token included, at INFO; and it is noise besides
    if root.level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("watchdog").setLevel(TRACE if root.level <= TRACE else logging.INFO)
