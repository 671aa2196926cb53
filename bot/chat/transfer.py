"""`/export` and `/import`: a feed's topics, filters and settings as a small YAML document.

An import is read whole (size-capped, safe YAML), checked whole, and applied in one
transaction: an unknown key or a bad value refuses all of it, with the reason.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape
from typing import Any

import yaml
from telegram import Document, Update
from telegram.ext import ContextTypes

from bot.articles.strict_yaml import StrictLoader
from bot.chat.languages import words_of
from bot.chat.openings import command
from bot.chat.replies import reply_html
from bot.chat.setting_values import KEYS, SettingError, apply_setting, shown
from bot.chat.targets import Target, Targets
from bot.foundation.errors import ArticleError
from bot.foundation.translations import N_, Refusal, Words
from storage import Store
from storage.settings import FeedSettings

MAX_IMPORT_BYTES = 64 * 1024
MAX_WORDS = 200  # topics, muted or required words in one import
MAX_NAME = 64
FILE_NAME = "newsbot-settings.yaml"
# the bot's own words here, in one place for translation (English message ids)
EXPORT_CAPTION = N_(
    "This chat's topics, filters and settings. Send it back with the caption /import."
)
EXPORT_CAPTION_OF = N_(
    "The topics, filters and settings of {chat}. Send it back with the caption /import "
    "(or /import {chat})."
)
IMPORT_USAGE = N_(
    "Send an exported document with the caption /import (or /import @chat), or reply "
    "/import to that document."
)
IMPORT_TOO_LARGE = N_("the document is too large to be a newsbot export (at most {kib} KiB).")
IMPORT_REFUSED = N_("Nothing was imported: {reason}")
IMPORT_DONE = N_("Imported: {topics} topics, {filters} filters, settings of this chat.")
IMPORT_DONE_IN = N_("Imported into {chat}: {topics} topics, {filters} filters, its settings.")
ALL_TOPICS = N_("all")


@dataclass(frozen=True, slots=True)
class FeedExport:
    """What an export holds: a feed's follows, filters and settings."""

    all_topics: bool
    topics: tuple[str, ...]
    quality: int | None
    mute: tuple[str, ...]
    require: tuple[str, ...]
    settings: FeedSettings


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


def parse_import(text: str) -> FeedExport:
    """The export in `text`, checked whole; ImportRefused says what is wrong."""
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
    topics = document.get("topics", [])
    every = topics == "all"
    filters = document.get("filters") or {}
    if not isinstance(filters, dict):
        raise ImportRefused(N_("{key} must be a mapping"), key="filters")
    _only_keys(filters, {"quality", "mute", "require"}, "filters")
    quality = filters.get("quality")
    if quality is not None and not (
        isinstance(quality, int) and not isinstance(quality, bool) and 0 <= quality <= 100
    ):
        raise ImportRefused(
            N_("{key} must be a whole number from 0 to 100, or null"), key="filters.quality"
        )
    settings = FeedSettings()
    values = document.get("settings") or {}
    if not isinstance(values, dict):
        raise ImportRefused(N_("{key} must be a mapping"), key="settings")
    _only_keys(values, set(KEYS), "settings")
    for key, value in values.items():
        if isinstance(value, bool):  # YAML reads a bare on/off as a boolean
            value = "on" if value else "off"
        try:
            settings = apply_setting(settings, key, str(value))
        except SettingError as error:
            raise ImportRefused(
                N_("{key}: {reason}"), key=f"settings.{key}", reason=error
            ) from None
    return FeedExport(
        all_topics=every,
        topics=() if every else _words(topics, "topics"),
        quality=quality or None,
        mute=_words(filters.get("mute", []), "filters.mute"),
        require=_words(filters.get("require", []), "filters.require"),
        settings=settings,
    )


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


def _words(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ImportRefused(N_("{key} must be a list of words"), key=where)
    words = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    if len(words) > MAX_WORDS or any(len(word) > MAX_NAME for word in words):
        raise ImportRefused(
            N_("{key}: at most {count} words of {characters} characters"),
            key=where,
            count=MAX_WORDS,
            characters=MAX_NAME,
        )
    return words


class TransferCommands:
    """Handlers for `/export` and `/import`."""

    def __init__(
        self, store: Store, targets: Targets, changed: Callable[[int, float], None]
    ) -> None:
        self.store = store
        self.targets = targets
        self.changed = changed

    @command()
    async def export_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """This chat's (or the @chat's) topics, filters and settings as a YAML document."""
        feed = target.feed
        everything, topics = self.store.feeds.subscriptions(feed.id)
        export = FeedExport(
            all_topics=everything,
            topics=tuple(topics),
            quality=feed.min_quality,
            mute=feed.muted,
            require=tuple(self.store.settings.required(feed.id)),
            settings=self.store.settings.get(feed.id),
        )
        message = update.effective_message
        assert message is not None
        await message.reply_document(
            io.BytesIO(export_yaml(export).encode()),
            filename=FILE_NAME,
            caption=_caption(words, target),
            do_quote=False,
        )

    @command()
    async def import_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Apply an exported document sent with the caption /import [@chat], or replied to,
        to this chat or the @chat named."""
        message = update.effective_message
        assert message is not None
        document = message.document or (
            message.reply_to_message.document if message.reply_to_message else None
        )
        if document is None:
            await reply_html(update, words.gettext(IMPORT_USAGE))
            return
        if not await self.targets.may_change(update, context, target, words):
            return
        try:
            export = parse_import(await _download(document))
        except ImportRefused as error:
            text = words.gettext(IMPORT_REFUSED).format(reason=error.said(words))
            await reply_html(update, escape(text, quote=False))
            return
        self._apply(target.feed.id, export)
        words = words_of(self.store, update)  # the imported language, if it has one here
        filters = len(export.mute) + len(export.require) + (export.quality is not None)
        topics = words.gettext(ALL_TOPICS) if export.all_topics else len(export.topics)
        done = words.gettext(IMPORT_DONE_IN if target.remote else IMPORT_DONE)
        await reply_html(update, done.format(chat=target.name, topics=topics, filters=filters))

    def _apply(self, feed_id: int, export: FeedExport) -> None:
        feeds = self.store.feeds
        with self.store.db.atomic():
            feeds.set_all_topics(feed_id, False)  # drops the single topics too
            if export.all_topics:
                feeds.set_all_topics(feed_id, True)
            feeds.subscribe(feed_id, list(export.topics))
            feeds.clear_filters(feed_id)
            feeds.set_min_quality(feed_id, export.quality)
            for word in export.mute:
                feeds.mute(feed_id, word)
            self.store.settings.clear_required(feed_id)
            for word in export.require:
                self.store.settings.require(feed_id, word)
            self.store.settings.save(feed_id, export.settings)
        self.changed(feed_id, time.time())


def _caption(words: Words, target: Target) -> str:
    """The export's caption (plain text): what it holds, and how to send it back."""
    if not target.remote:
        return words.gettext(EXPORT_CAPTION)
    return words.gettext(EXPORT_CAPTION_OF).format(chat=unescape(target.name))


async def _download(document: Document) -> str:
    """The document's text, refused when too large or not UTF-8."""
    kib = MAX_IMPORT_BYTES // 1024
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    file = await document.get_file()
    if file.file_size is not None and file.file_size > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(N_("it is not UTF-8 text")) from None
