"""The bot's own words in the user's (or the feed's) language, through the stand-in."""

from __future__ import annotations

import pytest

from bot.commands import ADMIN_COMMANDS, SUBSCRIBER_COMMANDS
from bot.translations import words_in
from tests.conftest import ADMIN_ID, Running
from tests.test_commands import add, buttons

# /help's own line, as a native speaker reads it
HELP_LINE = {
    "en": "/help every command, one line each",
    "de": "/help alle Befehle, je eine Zeile",
    "es": "/help todos los comandos, uno por línea",
    "ru": "/help все команды, по строке на каждую",
}


def help_text(language: str) -> str:
    """/help as the catalogue and the language's catalog say it (the text a user sees)."""
    words = words_in(language)
    return "\n".join(f"/{name} {words.gettext(text)}" for name, text in SUBSCRIBER_COMMANDS)


@pytest.mark.parametrize("language", ["en", "de", "es", "ru"])
async def test_help_answers_in_the_users_telegram_language(running: Running, language: str) -> None:
    """/help lists every command in the language of the user's Telegram app."""
    reply = await running.command(1, "/help", language_code=language)
    assert HELP_LINE[language] in reply.splitlines()
    assert reply == help_text(language)
    assert [line.split()[0] for line in reply.splitlines()] == [
        f"/{name}" for name, _ in SUBSCRIBER_COMMANDS
    ]


async def test_help_differs_between_languages(running: Running) -> None:
    """Each language gets its own text, not English under another name."""
    replies = {
        language: await running.command(1, "/help", language_code=language)
        for language in ("en", "de", "es", "ru")
    }
    assert len(set(replies.values())) == 4


async def test_a_regional_language_tag_uses_its_language(running: Running) -> None:
    """`de-AT` is answered in German, `es-419` in Spanish."""
    assert HELP_LINE["de"] in (await running.command(1, "/help", language_code="de-AT"))
    assert HELP_LINE["es"] in (await running.command(2, "/help", language_code="es-419"))


async def test_other_languages_and_no_language_get_english(running: Running) -> None:
    """A user whose Telegram speaks a language we lack, or none, reads English."""
    assert await running.command(1, "/help", language_code="pt-BR") == help_text("en")
    assert await running.command(2, "/help") == help_text("en")


async def test_refusals_and_usage_hints_are_translated(running: Running) -> None:
    """A group member's refusal and a usage hint come in the sender's language."""
    refused = await running.command(
        -50, "/subscribe AI", user_id=7, chat_type="supergroup", language_code="es"
    )
    assert refused == "Lo siento, solo los administradores de este grupo pueden cambiar esto."
    usage = await running.command(1, "/latest 99", language_code="de")
    assert usage == "Verwendung: /latest [n], n von 1 bis 20"
    unknown = await running.command(1, "/frobnicate", language_code="ru")
    assert unknown == "Такой команды я не знаю. /help покажет, что я умею."


async def test_buttons_and_headings_are_translated(running: Running) -> None:
    """Button labels and listing headings follow the language; article titles do not."""
    add(running, "Robots fold laundry", ("AI",))
    reply = await running.command(1, "/topic AI", language_code="ru")
    assert reply.startswith("Свежее по теме AI\n")
    assert "Robots fold laundry" in reply
    assert buttons(running, 1) == [("Подписаться на AI", "one::AI")]


async def test_admin_replies_are_translated(running: Running) -> None:
    """The bot's admins read their chat replies in their language too (plurals included)."""
    reply = await running.command(ADMIN_ID, "/broadcast hello", language_code="ru")
    assert reply == "Рассылка поставлена в очередь для 0 чатов."
    refused = await running.command(9, "/stats", language_code="de")
    assert refused == "Dieser Befehl ist leider nur für die Admins des Bots."


def menus(running: Running, scope: str) -> dict[str | None, list[tuple[str, str]]]:
    """The registered menus of a scope type, by language code (None: the default)."""
    found = {}
    for call in running.standin.commands:
        if call["scope"]["type"] == scope:
            commands = [(c["command"], c["description"]) for c in call["commands"]]
            found[call.get("language_code")] = commands
    return found


async def test_command_menu_is_registered_in_every_language(running: Running) -> None:
    """setMyCommands runs per language (English as the default) for everyone and admins,
    with the descriptions of the command catalogue."""
    for scope, catalogue in (
        ("default", SUBSCRIBER_COMMANDS),
        ("chat", SUBSCRIBER_COMMANDS + ADMIN_COMMANDS),
    ):
        registered = menus(running, scope)
        assert set(registered) == {None, "de", "es", "ru"}
        for code, commands in registered.items():
            words = words_in(code or "en")
            assert commands == [(name, words.gettext(text)) for name, text in catalogue]
        assert registered["de"] != registered[None]
    german = dict(menus(running, "default")["de"])
    assert german["help"] == "alle Befehle, je eine Zeile"
