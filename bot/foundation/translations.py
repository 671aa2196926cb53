"""The bot's own words in the feed's language: gettext catalogs for en, de, es and ru.

English is the source text, written in the code; German, Spanish and Russian come from
`bot/foundation/locales/<language>/LC_MESSAGES/newsbot.mo`, compiled from the `.po` beside it and
installed with the package (docs/contributors/translations.md says how to add a string). Article text is never
translated.

Which language: the feed's `language` setting when set; else the Telegram user's
`language_code` (`de-AT` -> `de`) when it is one of ours; else English. Channel posts
have no user: their setting or English.

Texts defined where no update is at hand (the command catalogue, constants) are marked
with `N_` for extraction and translated where they are shown.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telegram import Update

LANGUAGES = ("en", "de", "es", "ru")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "ru": "Русский"}
SOURCE_LANGUAGE = "en"
DOMAIN = "newsbot"
LOCALES = Path(__file__).with_name("locales")

Words = gettext.NullTranslations
"""What handlers translate with: `words.gettext(text)`, `words.ngettext(one, many, n)`."""

ENGLISH: Words = gettext.NullTranslations()


def N_(text: str) -> str:  # the name that gettext tools look for
    """Mark a text for the catalogs without translating it here."""
    return text


def language_of(setting: str | None, language_code: str | None) -> str:
    """The language to answer in, from a feed's setting and a user's Telegram language."""
    if setting in LANGUAGES:
        return setting
    if language_code:
        primary = language_code.replace("_", "-").split("-")[0].casefold()
        if primary in LANGUAGES:
            return primary
    return SOURCE_LANGUAGE


@functools.cache
def words_in(language: str) -> Words:
    """The catalog of one of our languages; English is the source text itself."""
    if language == SOURCE_LANGUAGE:
        return ENGLISH
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    # no fallback: a missing catalog is a broken install, and should say so loudly
    return gettext.translation(DOMAIN, LOCALES, languages=[language])


def feed_words(setting: str | None) -> Words:
    """The words of a message that no user asked for (a digest, a withdrawn notice): the
    feed's setting, or English."""
    return words_in(language_of(setting, None))


def words_for(update: Update, setting: str | None) -> Words:
    """The words for answering an update, given its feed's language setting (if any)."""
    user = update.effective_user
    return words_in(language_of(setting, user.language_code if user else None))


class Refusal(ValueError):
    """A reason told to a user, in their language: a catalog text (marked with `N_`) and
    the values of its `{placeholders}`, which may be refusals themselves. `str()` is the
    English text, for logs and tests."""

    def __init__(self, text: str, /, *, translated: bool = True, **values: object) -> None:
        self.text = text
        self.translated = translated  # False: a detail from elsewhere, shown as it is
        self.values = values
        super().__init__(self.said(ENGLISH))

    @classmethod
    def verbatim(cls, detail: str) -> Refusal:
        """A reason that has no translation (a parser's words), shown as it is."""
        return cls(detail, translated=False)

    def said(self, words: Words) -> str:
        """The reason in the language of `words`."""
        if not self.translated:
            return self.text
        values = {
            name: value.said(words) if isinstance(value, Refusal) else value
            for name, value in self.values.items()
        }
        return words.gettext(self.text).format(**values)
