"""`/settings` (one message with buttons, edited in place), `/set`, and `/top`.

Callback data of the settings buttons: `cfg:<setting>:<value>`, the value as `/set`
writes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.commands.replies import reply_html
from bot.commands.setting_values import (
    KEYS,
    LABELS,
    USAGE,
    SettingError,
    apply_setting,
    shown,
)
from bot.commands.targets import Targets, feed_of
from bot.rendering import render_listing
from storage import Store
from storage.settings import FORMATS, LANGUAGES, FeedSettings

# the bot's own words here, in one place for translation
TITLE = "Settings of {name}"  # "This chat", or the @chat named
HINT = "Tap to change, or use /set (see /help). Required words: /filter require &lt;word&gt;."
REQUIRED = "Required words"
NONE = "none"
CHANGED = "{label} is now {value}."
REFUSED_BUTTON = "Only this group's administrators can change that."
STALE_BUTTON = "This button is no longer valid."
TOP_USAGE = "Usage: /top [hours], hours from 1 to {most}"
TOP_HEADING = "Hottest of the last {hours} hours"
TOP_EMPTY = "No articles in the last {hours} hours."
QUIET_PRESET = "22:00-07:00"
DAILY_PRESET = "daily 08:00"
TOP_SIZE = 10
TOP_MOST_HOURS = 24 * 30


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
        self.permissions = targets.permissions
        self.changed = changed  # tells the sender (bot.digests.FeedDelivery.changed)

    async def settings_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every setting of this chat (or of the @chat named), with buttons that change them."""
        target = await self.targets.of_command(update, context)
        if target is None:
            return
        settings = self.store.settings.get(target.feed.id)
        await reply_html(
            update,
            self.describe(target.feed.id, settings, target.name),
            keyboard(settings, target.scope),
        )

    async def set_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/set [@chat] <setting> <value>`: the text form of each button."""
        target = await self.targets.of_command(update, context)
        if target is None:
            return
        feed, args = target.feed, target.args
        if len(args) < 2 or args[0].casefold() not in KEYS:
            await reply_html(update, escape(USAGE, quote=False))
            return
        if not await self.targets.may_change(update, context, target):
            return
        key = args[0].casefold()
        try:
            settings = apply_setting(self.store.settings.get(feed.id), key, " ".join(args[1:]))
        except SettingError as error:
            await reply_html(update, escape(f"Cannot set that: {error}", quote=False))
            return
        self.save(feed.id, settings)
        text = CHANGED.format(label=LABELS[key], value=shown(settings, key))
        await reply_html(update, escape(text, quote=False))

    async def button_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A settings button: change the setting, then edit the message to show it."""
        query = update.callback_query
        assert query is not None
        target = await self.targets.of_button(update, context)
        if target is None:
            return
        feed, data = target.feed, target.args[0]
        _, key, value = data.split(":", 2) if data.count(":") >= 2 else ("", "", "")
        if key not in KEYS:
            await query.answer(STALE_BUTTON)
            return
        if not target.remote and not await self.permissions.may_change(update, context):
            await query.answer(REFUSED_BUTTON)
            return
        try:
            settings = apply_setting(self.store.settings.get(feed.id), key, value)
        except SettingError as error:
            await query.answer(str(error)[:200])
            return
        self.save(feed.id, settings)
        await query.answer(CHANGED.format(label=LABELS[key], value=shown(settings, key)))
        try:
            await query.edit_message_text(
                self.describe(feed.id, settings, target.name),
                parse_mode="HTML",
                reply_markup=keyboard(settings, target.scope),
            )
        except BadRequest as error:  # pressed twice: "message is not modified"
            if "not modified" not in str(error).lower():
                raise

    async def top_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The feed's hottest articles of the last 24 hours, or of the given hours."""
        feed = feed_of(self.store, update)
        args = context.args or []
        if len(args) > 1 or (
            args and not (args[0].isdigit() and 1 <= int(args[0]) <= TOP_MOST_HOURS)
        ):
            await reply_html(update, TOP_USAGE.format(most=TOP_MOST_HOURS))
            return
        hours = int(args[0]) if args else 24
        since = datetime.now(UTC) - timedelta(hours=hours)
        everything, topics = self.store.feeds.subscriptions(feed.id)
        items = self.store.listing.hottest(since, TOP_SIZE, [] if everything else topics)
        if not items:
            await reply_html(update, TOP_EMPTY.format(hours=hours))
            return
        await reply_html(update, render_listing(items, TOP_HEADING.format(hours=hours)))

    def save(self, feed_id: int, settings: FeedSettings) -> None:
        self.store.settings.save(feed_id, settings)
        self.changed(feed_id, time.time())

    def describe(self, feed_id: int, settings: FeedSettings, name: str) -> str:
        """The settings message: one line per setting, then the required words."""
        lines = [f"<b>{TITLE.format(name=name)}</b>"]
        for key in KEYS:
            lines.append(f"{LABELS[key]}: {escape(shown(settings, key), quote=False)}")
        required = self.store.settings.required(feed_id)
        lines.append(f"{REQUIRED}: " + escape(", ".join(required) or NONE, quote=False))
        lines.append(HINT)
        return "\n".join(lines)


def keyboard(settings: FeedSettings, scope: str = "") -> InlineKeyboardMarkup:
    """One row per setting that buttons change; the current value marked. `scope` says
    which chat and thread they act on (`Target.scope`)."""

    def button(key: str, value: str, label: str | None = None) -> InlineKeyboardButton:
        mark = "✅ " if shown(settings, key) == value else ""
        data = f"{scope}cfg:{key}:{value}"
        return InlineKeyboardButton(mark + (label or value), callback_data=data)

    silent = "off" if settings.silent else "on"
    return InlineKeyboardMarkup(
        [
            [button("format", value) for value in FORMATS],
            [
                InlineKeyboardButton(
                    f"Silent: {shown(settings, 'silent')} (tap for {silent})",
                    callback_data=f"{scope}cfg:silent:{silent}",
                )
            ],
            [
                button("digest", "off", "Digest off"),
                button("digest", "hourly"),
                button("digest", DAILY_PRESET),
            ],
            [button("quiet", "off", "Quiet off"), button("quiet", QUIET_PRESET)],
            [button("language", value) for value in LANGUAGES],
        ]
    )
