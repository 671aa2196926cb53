"""The export document: a feed's topics, filters and settings as a small YAML mapping.

Pure: `export_yaml` writes one; `parse_import` reads one (safe YAML, checked whole: an
unknown key or a bad value refuses all of it) onto the feed as it is, so that the
sections and keys the document lacks stay as they were; `changes` says what an import
changed, for its reply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from bot.articles.strict_yaml import StrictLoader
from bot.chat.filters import MAX_FEED_WORDS
from bot.chat.setting_values import KEYS, SettingError, apply_setting, shown
from bot.foundation.errors import ArticleError
from bot.foundation.translations import N_, Refusal
from storage.settings import FeedSettings

MAX_TOPICS = 200  # topics in one import (its muted and required words: MAX_FEED_WORDS)
MAX_NAME = 64
MAX_SHOWN = 200  # characters of a changed value in an import's reply


@dataclass(frozen=True, slots=True)
class FeedExport:
    """What an export holds: a feed's follows, filters and settings."""

    all_topics: bool
    topics: tuple[str, ...]
    quality: int | None
    mute: tuple[str, ...]
    require: tuple[str, ...]
    settings: FeedSettings


NOTHING = FeedExport(False, (), None, (), (), FeedSettings())


class ImportRefused(Refusal):
    """The document cannot be imported; the message says why."""


def export_yaml(export: FeedExport) -> str:
    document = {
        "topics": "all" if export.all_topics else list(export.topics),
        "filters": {
            "quality": export.quality,
            "mute": list(export.mute),
            "require": list(export.require),
        },
        "settings": {key: shown(export.settings, key) for key in KEYS},
    }
    return "# newsbot: a chat's topics, filters and settings\n" + yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False
    )


def parse_import(text: str, current: FeedExport = NOTHING) -> FeedExport:
    """`current` with what the document in `text` holds in place of its own: the sections
    (and the filters and settings) the document lacks stay as they were. ImportRefused
    says what is wrong, and nothing is taken then."""
    document = _mapping(text)
    found = current
    if "topics" in document:
        topics = document["topics"]
        every = topics == "all"
        found = replace(
            found,
            all_topics=every,
            topics=() if every else _words(topics, "topics", MAX_TOPICS),
        )
    found = _filters(document.get("filters") or {}, found)
    return replace(found, settings=_settings(document.get("settings") or {}, found.settings))


def _mapping(text: str) -> dict[Any, Any]:
    """The document's mapping of topics, filters and settings, its keys checked."""
    try:
        # the articles' loader: safe, and refuses tags and aliases (ArticleError)
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506
    except yaml.YAMLError as error:
        detail = str(error).splitlines()[0]
        raise ImportRefused(N_("it is not valid YAML ({detail})"), detail=detail) from None
    except (ArticleError, ValueError, OverflowError) as error:
        raise ImportRefused.verbatim(str(error)) from None
    if not isinstance(document, dict):
        raise ImportRefused(
            N_("it is not a newsbot export (a mapping of topics, filters, settings)")
        )
    _only_keys(document, {"topics", "filters", "settings"}, None)
    return document


def _filters(filters: Any, current: FeedExport) -> FeedExport:
    if not isinstance(filters, dict):
        raise ImportRefused(N_("{key} must be a mapping"), key="filters")
    _only_keys(filters, {"quality", "mute", "require"}, "filters")
    found = current
    if "quality" in filters:
        quality = filters["quality"]
        if quality is not None and not (
            isinstance(quality, int) and not isinstance(quality, bool) and 0 <= quality <= 100
        ):
            raise ImportRefused(
                N_("{key} must be a whole number from 0 to 100, or null"), key="filters.quality"
            )
        found = replace(found, quality=quality or None)
    if "mute" in filters:
        found = replace(found, mute=_words(filters["mute"], "filters.mute", MAX_FEED_WORDS))
    if "require" in filters:
        require = _words(filters["require"], "filters.require", MAX_FEED_WORDS)
        found = replace(found, require=require)
    return found


def _settings(values: Any, current: FeedSettings) -> FeedSettings:
    if not isinstance(values, dict):
        raise ImportRefused(N_("{key} must be a mapping"), key="settings")
    _only_keys(values, set(KEYS), "settings")
    settings = current
    for key, value in values.items():
        if isinstance(value, bool):  # YAML reads a bare on/off as a boolean
            value = "on" if value else "off"
        try:
            settings = apply_setting(settings, key, str(value))
        except SettingError as error:
            raise ImportRefused(
                N_("{key}: {reason}"), key=f"settings.{key}", reason=error
            ) from None
    return settings


def _only_keys(mapping: dict[Any, Any], allowed: set[str], where: str | None) -> None:
    """Refuse keys other than `allowed` in the document (`where` None) or one of its parts."""
    unknown = sorted(str(key) for key in mapping if key not in allowed)
    if not unknown:
        return
    keys, known = ", ".join(unknown), ", ".join(sorted(allowed))
    if where is None:
        text = N_("unknown key {keys} in the document (known: {known})")
    else:
        text = N_("unknown key {keys} in {where} (known: {known})")
    raise ImportRefused(text, keys=keys, where=where, known=known)


def _words(value: Any, where: str, most: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ImportRefused(N_("{key} must be a list of words"), key=where)
    words = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    if len(words) > most or any(len(word) > MAX_NAME for word in words):
        raise ImportRefused(
            N_("{key}: at most {count} words of {characters} characters"),
            key=where,
            count=most,
            characters=MAX_NAME,
        )
    return words


def changes(before: FeedExport, after: FeedExport, nothing: str) -> list[tuple[str, str]]:
    """What an import changed, as (the document's key, the new value) pairs, in the
    document's order; `nothing` shows an empty list or no minimum."""
    found: list[tuple[str, str]] = []
    if before.all_topics != after.all_topics or _differ(before.topics, after.topics):
        found.append(("topics", "all" if after.all_topics else _listed(after.topics, nothing)))
    if before.quality != after.quality:
        found.append(("filters.quality", nothing if after.quality is None else str(after.quality)))
    if _differ(before.mute, after.mute):
        found.append(("filters.mute", _listed(after.mute, nothing)))
    if _differ(before.require, after.require):
        found.append(("filters.require", _listed(after.require, nothing)))
    for key in KEYS:
        if shown(before.settings, key) != shown(after.settings, key):
            found.append((f"settings.{key}", shown(after.settings, key)))
    return found


def _differ(before: tuple[str, ...], after: tuple[str, ...]) -> bool:
    """Whether two lists of topics or words differ as the bot keeps them (any case, any
    order)."""
    return {word.casefold() for word in before} != {word.casefold() for word in after}


def _listed(words: tuple[str, ...], nothing: str) -> str:
    text = ", ".join(words) or nothing
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"
