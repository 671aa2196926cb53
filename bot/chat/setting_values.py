"""A feed's settings as people write them (`/set`, buttons, exported YAML) and show them.

Pure: text in, `FeedSettings` out, or a `SettingError` whose message is the reason to
show the user (a `Refusal`: said in the user's language). The bot's own words are the
constants and messages of this module, English message ids marked with `N_`.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from dataclasses import replace

from bot.delivery.schedule import ScheduleError, format_clock, parse_clock, parse_window
from bot.foundation.translations import N_, Refusal
from storage.settings import DIGESTS, FORMATS, LANGUAGES, FeedSettings

KEYS = ("format", "silent", "quiet", "timezone", "digest", "language", "backlog")
USAGE = N_(
    "Usage: /set format photo|text|compact|preview · /set silent on|off · "
    "/set quiet 22:00-07:00|off · /set timezone Europe/Berlin · "
    "/set digest off|hourly|daily 08:00 · /set language en|de|es|ru · "
    "/set backlog &lt;n&gt;|off|default"
)
LABELS = {
    "format": N_("Format"),
    "silent": N_("Silent"),
    "quiet": N_("Quiet hours"),
    "timezone": N_("Time zone"),
    "digest": N_("Digest"),
    "language": N_("Language"),
    "backlog": N_("Backlog"),
}
AUTOMATIC = "automatic"
DEFAULT = "default"  # a setting that follows the operator's (NEWSBOT_BACKLOG_MAX)
MOST_BACKLOG = 1000


class SettingError(Refusal):
    """A setting name or value that cannot be used; the message says why."""


def apply_setting(current: FeedSettings, key: str, value: str) -> FeedSettings:
    """`current` with one setting changed as written, e.g. ("quiet", "22:00-07:00")."""
    value = " ".join(value.split())
    word = value.casefold()
    if key == "format":
        if word not in FORMATS:
            raise SettingError(N_("format is one of: {values}"), values=", ".join(FORMATS))
        return replace(current, format=word)
    if key == "silent":
        if word not in ("on", "off"):
            raise SettingError(N_("silent is on or off"))
        return replace(current, silent=word == "on")
    if key == "quiet":
        if word == "off":
            return replace(current, quiet_start=None, quiet_end=None)
        try:
            window = parse_window(value)
        except ScheduleError as error:
            raise SettingError(N_("quiet hours: {reason}"), reason=error) from None
        return replace(current, quiet_start=window.start, quiet_end=window.end)
    if key == "timezone":
        return replace(current, timezone=zone_named(value))
    if key == "digest":
        return _digest(current, word)
    if key == "language":
        if word == AUTOMATIC:  # from each user's Telegram language
            return replace(current, language=None)
        if word not in LANGUAGES:
            choices = ", ".join((*LANGUAGES, AUTOMATIC))
            raise SettingError(N_("language is one of: {values}"), values=choices)
        return replace(current, language=word)
    if key == "backlog":
        return _backlog(current, word)
    raise SettingError(
        N_("there is no setting “{key}”; settings are {keys}"), key=key, keys=", ".join(KEYS)
    )


def _digest(current: FeedSettings, word: str) -> FeedSettings:
    kind, _, at = word.partition(" ")
    if kind not in DIGESTS or (kind == "daily") != bool(at):
        raise SettingError(N_("digest is off, hourly, or daily HH:MM (for example daily 08:00)"))
    try:
        minute = parse_clock(at) if at else 0
    except ScheduleError as error:
        raise SettingError(N_("digest: {reason}"), reason=error) from None
    return replace(current, digest=kind, digest_at=minute)


def _backlog(current: FeedSettings, word: str) -> FeedSettings:
    if word in ("off", DEFAULT):
        return replace(current, backlog=0 if word == "off" else None)
    if not word.isascii() or not word.isdigit() or not 1 <= int(word) <= MOST_BACKLOG:
        raise SettingError(
            N_("backlog is a number of pushes from 1 to {most}, off, or default"),
            most=MOST_BACKLOG,
        )
    return replace(current, backlog=int(word))


def zone_named(name: str) -> str:
    """The IANA zone of that name (any case); refused with close names as a hint."""
    zones = _zones()
    found = zones.get(name.strip().casefold())
    if found is not None:
        return found
    close = difflib.get_close_matches(name.strip().casefold(), list(zones), n=3, cutoff=0.6)
    if close:
        raise SettingError(
            N_("“{name}” is not a time zone I know. Did you mean {zones}?"),
            name=name,
            zones=", ".join(zones[key] for key in close),
        )
    raise SettingError(
        N_(
            "“{name}” is not a time zone I know. Use a name like Europe/Berlin or America/New_York."
        ),
        name=name,
    )


@functools.cache
def _zones() -> dict[str, str]:
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones()}


def shown(settings: FeedSettings, key: str) -> str:
    """A setting's value as `/set` writes it."""
    if key == "format":
        return settings.format
    if key == "silent":
        return "on" if settings.silent else "off"
    if key == "quiet":
        if settings.quiet_start is None or settings.quiet_end is None:
            return "off"
        return f"{format_clock(settings.quiet_start)}-{format_clock(settings.quiet_end)}"
    if key == "timezone":
        return settings.timezone
    if key == "digest":
        if settings.digest == "daily":
            return f"daily {format_clock(settings.digest_at)}"
        return settings.digest
    if key == "language":
        return settings.language or AUTOMATIC
    if key == "backlog":
        if settings.backlog is None:
            return DEFAULT
        return str(settings.backlog) if settings.backlog else "off"
    raise SettingError(N_("there is no setting “{key}”"), key=key)
