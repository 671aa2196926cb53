"""The message catalogs: complete, compiled as committed, and true to the code's texts."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.foundation.translations import DOMAIN, LANGUAGES, SOURCE_LANGUAGE, language_of, words_in

ROOT = Path(__file__).parent.parent
LOCALES = (
    ROOT / "bot" / "foundation" / "locales"
)  # the committed files, whichever copy of `bot` is imported
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdr]")
HTML_TAG = re.compile(r"</?(?:b|i|u|s|a|code|pre|blockquote)\b[^>]*>")


def catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=language)


def messages(language: str) -> list[Message]:
    return [message for message in catalog(language) if message.id]


def pairs(message: Message) -> list[tuple[str, str]]:
    """(source, translation) for each form of a message: plural forms against the plural."""
    if isinstance(message.id, str):
        return [(message.id, str(message.string or ""))]
    singular, plural = message.id
    forms = list(message.string or ())
    return [(singular if index == 0 else plural, form) for index, form in enumerate(forms)]


def code_message_ids() -> set[str]:
    """The message ids that `pybabel extract` finds in the bot's code."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = extract_from_dir(str(ROOT / "bot"), keywords=keywords)
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


@pytest.mark.parametrize("language", TRANSLATED)
def test_committed_mo_file_is_its_po_compiled(language: str) -> None:
    """The shipped .mo is exactly what compiling the committed .po gives."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language), use_fuzzy=False)
    committed = (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    assert compiled.getvalue() == committed, "run `pybabel compile` and commit the .mo"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation(language: str) -> None:
    """No message id is left untranslated, half-translated or fuzzy in any catalog."""
    untranslated = [
        message.id
        for message in messages(language)
        if message.fuzzy or not all(form.strip() for _, form in pairs(message))
    ]
    assert untranslated == []
    assert messages(language), "an empty catalog"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_html_tags(language: str) -> None:
    """`{name}`/`%s` placeholders and HTML tags of each message id survive translation."""
    for message in messages(language):
        for source, translation in pairs(message):
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(
                PLACEHOLDER.findall(source)
            ), (language, source, translation)
            assert HTML_TAG.findall(translation) == HTML_TAG.findall(source), (language, source)
            assert translation.count("&lt;") == translation.count("&gt;"), (language, source)
            assert translation.count("\n") == source.count("\n"), (language, source)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_holds_exactly_the_texts_of_the_code(language: str) -> None:
    """A text added to (or dropped from) the code without updating the catalogs fails here."""
    in_catalog = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in messages(language)
    }
    in_code = code_message_ids()
    assert sorted(in_code - in_catalog) == [], "run pybabel extract + update, then translate"
    assert sorted(in_catalog - in_code) == [], "run pybabel extract + update"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_loads_through_gettext_and_translates(language: str) -> None:
    """The standard library reads each compiled catalog, plurals included."""
    words = words_in(language)
    assert words.gettext("Latest") != "Latest"
    one = words.ngettext("… and {count} more", "… and {count} more", 1)
    assert "{count}" in one and not one.endswith("more")


def test_compiled_catalogs_are_package_data() -> None:
    """Every .mo file is matched by the package data globs, so `pip install .` ships it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {path for pattern in globs for path in (ROOT / "bot").glob(pattern)}
    compiled = set((ROOT / "bot" / "foundation" / "locales").glob("*/LC_MESSAGES/*.mo"))
    assert {path.parent.parent.name for path in compiled} == set(TRANSLATED)
    assert compiled <= shipped


@pytest.mark.parametrize(
    ("setting", "language_code", "expected"),
    [
        (None, None, "en"),
        (None, "de", "de"),
        (None, "de-AT", "de"),
        (None, "es-419", "es"),
        (None, "RU", "ru"),
        (None, "pt-BR", "en"),
        (None, "", "en"),
        ("es", "de", "es"),
        ("ru", None, "ru"),
        ("en", "de", "en"),
        ("xx", "de", "de"),
    ],
)
def test_language_is_the_setting_else_the_users_else_english(
    setting: str | None, language_code: str | None, expected: str
) -> None:
    """The feed's setting wins; else the user's IETF tag's language when ours; else English."""
    assert language_of(setting, language_code) == expected
