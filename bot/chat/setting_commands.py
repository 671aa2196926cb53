"""`/settings` (one message with buttons, edited in place), `/set`, and `/top`.

Callback data of the settings buttons: `cfg:<setting>:<value>`, the value as `/set`
writes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.chat.languages import words_of
from bot.chat.openings import button, command
from bot.chat.permissions import STALE_BUTTON
from bot.chat.replies import reply_html, unless_unchanged
from bot.chat.setting_values import (
    AUTOMATIC,
    DEFAULT,
    KEYS,
    LABELS,
    USAGE,
    SettingError,
    apply_setting,
    shown,
)
from bot.chat.targets import Target, Targets, one_number
from bot.delivery.rendering import render_listing
from bot.delivery.schedule import format_clock
from bot.foundation.translations import LANGUAGE_NAMES, N_, Words
from storage import Store
from storage.settings import FORMATS, LANGUAGES, FeedSettings

# the bot's own words here, in one place for translation (English message ids)
TITLE = N_("Settings of {name}")  # "This chat", or the @chat named
HINT = N_("Tap to change, or use /set (see /help). Required words: /filter require &lt;word&gt;.")
REQUIRED = N_("Required words")
NONE = N_("none")
CHANGED = N_("{label} is now {value}.")
TOP_USAGE = N_("Usage: /top [@chat] [hours], hours from 1 to {most}")
# setting values as the settings message and its buttons show them (`/set` takes English)
VALUES = {
    "photo": N_("photo"),
    "text": N_("text"),
    "compact": N_("compact"),
    "preview": N_("preview"),
    "on": N_("on"),
    "off": N_("off"),
    "hourly": N_("hourly"),
    AUTOMATIC: N_("automatic"),
    DEFAULT: N_("default"),
}
BACKLOG_PRESETS = ("3", "10")
DAILY = N_("daily {time}")
QUIET_PRESET = "22:00-07:00"
DAILY_PRESET = "daily 08:00"
TOP_SIZE = 10
TOP_MOST_HOURS = 24 * 30


def _set_usage(words: Words) -> str:
    return escape(words.gettext(USAGE), quote=False)


def _top_usage(words: Words) -> str:
    return words.gettext(TOP_USAGE).format(most=TOP_MOST_HOURS)


def _setting(args: tuple[str, ...]) -> tuple[str, str] | None:
    """The setting `/set` names (lower case) and the value it gives; None without both."""
    if len(args) < 2 or args[0].casefold() not in KEYS:
        return None
    return args[0].casefold(), " ".join(args[1:])


def _changes_setting(data: str) -> bool:
    """Every settings button changes a setting: only those who may change the feed press it."""
    return True


class SettingsCommands:
    """Handlers for a feed's settings and for `/top`."""

    def __init__(
        self,
        store: Store,
        targets: Targets,
        changed: Callable[[int, float], None],
    ) -> None:
        self.store = store
        self.targets = targets
        self.changed = changed  # tells the sender (bot.delivery.digesting.FeedDelivery.changed)

    @command()
    async def settings_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Every setting of this chat (or of the @chat named), with buttons that change them."""
        settings = self.store.settings.get(target.feed.id)
        await reply_html(
            update,
            self.describe(words, target.feed.id, settings, target.called(words)),
            keyboard(words, settings, target.scope),
        )

    @command(_setting, _set_usage, changes=True)
    async def set_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        asked: tuple[str, str],
    ) -> None:
        """`/set [@chat] <setting> <value>`: the text form of each button."""
        key, value = asked
        feed = target.feed
        try:
            settings = apply_setting(self.store.settings.get(feed.id), key, value)
        except SettingError as error:
            text = words.gettext("Cannot set that: {reason}").format(reason=error.said(words))
            await reply_html(update, escape(text, quote=False))
            return
        self.save(feed.id, settings)
        words = words_of(self.store, update)  # a new language answers in itself
        await reply_html(update, escape(changed(words, settings, key), quote=False))

    @button(_changes_setting)
    async def button_pressed(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        query: CallbackQuery,
    ) -> None:
        """A settings button: change the setting, then edit the message to show it."""
        data, feed = target.args[0], target.feed
        _, key, value = data.split(":", 2) if data.count(":") >= 2 else ("", "", "")
        if key not in KEYS:
            await query.answer(words.gettext(STALE_BUTTON))
            return
        try:
            settings = apply_setting(self.store.settings.get(feed.id), key, value)
        except SettingError as error:
            await query.answer(error.said(words)[:200])
            return
        self.save(feed.id, settings)
        words = words_of(self.store, update)  # a new language answers in itself
        await query.answer(changed(words, settings, key))
        await unless_unchanged(
            query.edit_message_text(
                self.describe(words, feed.id, settings, target.called(words)),
                parse_mode="HTML",
                reply_markup=keyboard(words, settings, target.scope),
            )
        )

    @command(one_number(24, TOP_MOST_HOURS), _top_usage)
    async def top_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        hours: int,
    ) -> None:
        """The feed's hottest articles of the last 24 hours, or of the given hours; of this
        chat's topics, or of the @chat's named."""
        since = datetime.now(UTC) - timedelta(hours=hours)
        everything, topics = self.store.feeds.subscriptions(target.feed.id)
        items = self.store.listing.hottest(since, TOP_SIZE, [] if everything else topics)
        if not items:
            empty = words.ngettext(
                "No articles in the last {hours} hour.",
                "No articles in the last {hours} hours.",
                hours,
            )
            await reply_html(update, empty.format(hours=hours))
            return
        heading = words.ngettext(
            "Hottest of the last {hours} hour", "Hottest of the last {hours} hours", hours
        ).format(hours=hours)
        await reply_html(update, render_listing(items, heading))

    def save(self, feed_id: int, settings: FeedSettings) -> None:
        self.store.settings.save(feed_id, settings)
        self.changed(feed_id, time.time())

    def describe(self, words: Words, feed_id: int, settings: FeedSettings, name: str) -> str:
        """The settings message: one line per setting, then the required words."""
        lines = [f"<b>{words.gettext(TITLE).format(name=name)}</b>"]
        for key in KEYS:
            value = escape(displayed(words, settings, key), quote=False)
            lines.append(f"{words.gettext(LABELS[key])}: {value}")
        required = escape(", ".join(self.store.settings.required(feed_id)), quote=False)
        lines.append(f"{words.gettext(REQUIRED)}: " + (required or words.gettext(NONE)))
        lines.append(words.gettext(HINT))
        return "\n".join(lines)


def displayed(words: Words, settings: FeedSettings, key: str) -> str:
    """A setting's value as the settings message shows it, in the language of `words`."""
    if key == "language" and settings.language is not None:
        return LANGUAGE_NAMES[settings.language]
    if key == "digest" and settings.digest == "daily":
        return words.gettext(DAILY).format(time=format_clock(settings.digest_at))
    value = shown(settings, key)
    return words.gettext(VALUES[value]) if value in VALUES else value


def changed(words: Words, settings: FeedSettings, key: str) -> str:
    """What a changed setting is now, as an answer says it."""
    label, value = words.gettext(LABELS[key]), displayed(words, settings, key)
    return words.gettext(CHANGED).format(label=label, value=value)


def keyboard(words: Words, settings: FeedSettings, scope: str = "") -> InlineKeyboardMarkup:
    """One row per setting that buttons change; the current value marked. `scope` says
    which chat and thread they act on (`Target.scope`)."""

    def button(key: str, value: str, label: str | None = None) -> InlineKeyboardButton:
        mark = "✅ " if shown(settings, key) == value else ""
        data = f"{scope}cfg:{key}:{value}"
        shown_value = words.gettext(VALUES[value]) if value in VALUES else value
        return InlineKeyboardButton(mark + (label or shown_value), callback_data=data)

    silent = "off" if settings.silent else "on"
    silent_label = words.gettext("Silent: {value} (tap for {other})").format(
        value=displayed(words, settings, "silent"), other=words.gettext(VALUES[silent])
    )
    daily = words.gettext(DAILY).format(time=DAILY_PRESET.partition(" ")[2])
    return InlineKeyboardMarkup(
        [
            [button("format", value) for value in FORMATS],
            [InlineKeyboardButton(silent_label, callback_data=f"{scope}cfg:silent:{silent}")],
            [
                button("digest", "off", words.gettext("Digest off")),
                button("digest", "hourly"),
                button("digest", DAILY_PRESET, daily),
            ],
            [button("quiet", "off", words.gettext("Quiet off")), button("quiet", QUIET_PRESET)],
            [button("language", value, LANGUAGE_NAMES[value]) for value in LANGUAGES],
            [
                button("backlog", DEFAULT),
                *(button("backlog", value) for value in BACKLOG_PRESETS),
                button("backlog", "off", words.gettext("Backlog off")),
            ],
        ]
    )
