"""The bot's own words in the user's (or the feed's) language, through the stand-in."""

from __future__ import annotations

import pytest

from bot.chat.catalogue import ADMIN_COMMANDS, SUBSCRIBER_COMMANDS
from bot.foundation.translations import LANGUAGE_NAMES, LANGUAGES, N_, Refusal, words_in
from storage.settings import LANGUAGES as SETTING_LANGUAGES
from tests.chatting import add, buttons
from tests.conftest import ADMIN_ID, Running

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


# six commands from one user, each after the last one's reply: at Telegram's pace, as a
# person types them; at the tests' faster pace the update guard would rightly slow them down
@pytest.mark.telegram_pace
async def test_set_language_overrides_the_users_language_until_automatic(
    running: Running,
) -> None:
    """The feed's `language` setting wins over the user's app language; `automatic` gives
    the user's back."""
    assert await running.command(1, "/help", language_code="es") == help_text("es")
    assert await running.command(1, "/set language de", language_code="es") == (
        "Sprache: jetzt Deutsch."
    )
    assert await running.command(1, "/help", language_code="es") == help_text("de")
    assert await running.command(1, "/help", language_code="ru") == help_text("de")
    await running.command(1, "/set language automatic", language_code="es")
    assert await running.command(1, "/help", language_code="es") == help_text("es")


async def test_a_groups_language_setting_speaks_to_every_member(running: Running) -> None:
    """Set by an admin in a group, the language answers every member, whatever their app."""
    running.standin.admins[-50].add(7)
    await running.command(-50, "/set language ru", user_id=7, chat_type="supergroup")
    reply = await running.command(-50, "/latest", user_id=8, chat_type="supergroup")
    assert reply == "Статей пока нет."


async def test_a_channel_answers_in_its_setting_or_english(running: Running) -> None:
    """Channel posts have no user: English until the channel's own setting says otherwise."""
    channel = -1001234
    running.standin.add_chat(channel, "channel", username="robonews", creator=5)
    running.standin.post(channel, "/help")
    await running.standin.until(lambda: len(running.standin.messages_to(channel)) == 1)
    assert running.standin.messages_to(channel)[0].text == help_text("en")
    running.standin.post(channel, "/set language es")
    await running.standin.until(lambda: len(running.standin.messages_to(channel)) == 2)
    assert running.standin.messages_to(channel)[1].text == "Idioma: ahora Español."
    running.standin.post(channel, "/help")
    await running.standin.until(lambda: len(running.standin.messages_to(channel)) == 3)
    assert running.standin.messages_to(channel)[2].text == help_text("es")


async def test_settings_message_buttons_and_refusals_are_translated(running: Running) -> None:
    """/settings, its buttons and a refused value read in the user's language."""
    reply = await running.command(1, "/settings", language_code="de")
    assert reply.splitlines()[:2] == ["Einstellungen: Dieser Chat", "Format: Foto"]
    labels = [label for label, _ in buttons(running, 1)]
    assert "✅ Foto" in labels and "Lautlos: aus (tippen für an)" in labels
    assert "Deutsch" in labels and "Русский" in labels
    refused = await running.command(1, "/set timezone Europe/Berln", language_code="ru")
    assert refused.startswith(
        "Не удалось изменить настройку: Часовой пояс «Europe/Berln» мне неизвестен. "
        "Возможно, вы имели в виду Europe/Berlin"
    )
    nested = await running.command(1, "/set quiet 22:00-22:00", language_code="es")
    assert nested == (
        "No se puede ajustar: horas de silencio: "
        "las horas de silencio necesitan un inicio y un final distintos"
    )


def test_a_refusal_is_said_in_each_language_and_is_english_as_a_string() -> None:
    """A Refusal's text and nested reasons are translated when said; str() stays English."""
    inner = Refusal(N_("“{text}” is not a time like 07:30"), text="7h")
    outer = Refusal(N_("digest: {reason}"), reason=inner)
    assert str(outer) == "digest: “7h” is not a time like 07:30"
    assert outer.said(words_in("de")) == "digest: „7h“ ist keine Uhrzeit wie 07:30"
    assert Refusal.verbatim("YAML tag !x is not allowed").said(words_in("ru")) == (
        "YAML tag !x is not allowed"
    )


def test_our_languages_are_the_settings_languages() -> None:
    """The catalogs' languages and the `language` setting's values are the same four."""
    assert LANGUAGES == SETTING_LANGUAGES
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
