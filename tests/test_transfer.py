"""/export and /import through the stand-in (sendDocument, getFile, the file download
path), and every way an import is refused whole."""

from __future__ import annotations

import dataclasses

import pytest

from bot.chat.exports import ImportRefused, parse_import
from storage.settings import FeedSettings
from tests.conftest import Running, eventually
from tests.feeds import follow, follows
from tests.standin import Sent

SETTINGS = FeedSettings(
    format="compact",
    timezone="America/New_York",
    quiet_start=22 * 60,
    quiet_end=7 * 60,
    digest="daily",
    digest_at=8 * 60,
    language="es",
)


async def exported(running: Running, chat_id: int) -> bytes:
    before = len(running.standin.messages_to(chat_id))
    running.standin.say(chat_id, "/export")
    await running.standin.until(lambda: len(running.standin.messages_to(chat_id)) > before)
    message = running.standin.messages_to(chat_id)[-1]
    assert message.method == "sendDocument"
    assert message.text is not None and "/import" in message.text
    document = message.params["document"]
    assert isinstance(document, bytes)
    return document


async def replied(running: Running, chat_id: int, action: object, count: int = 1) -> str:
    """The text of the first of `count` messages the bot sends after `action`."""
    return (await answered(running, chat_id, action, count))[0].text or ""


async def answered(running: Running, chat_id: int, action: object, count: int) -> list[Sent]:
    """The `count` messages the bot sends to the chat after `action`."""
    before = len(running.standin.messages_to(chat_id))
    assert callable(action)
    action()
    await running.standin.until(lambda: len(running.standin.messages_to(chat_id)) >= before + count)
    return running.standin.messages_to(chat_id)[before : before + count]


async def test_export_then_import_elsewhere_gives_the_same_feed(running: Running) -> None:
    """Topics, filters and settings exported from one chat arrive whole in another."""
    feed = follow(running.store, 1, ["AI", "Space"])
    running.store.feeds.set_min_quality(feed, 40)
    running.store.feeds.mute(feed, "crypto")
    running.store.settings.require(feed, "robots")
    running.store.settings.save(feed, SETTINGS)
    document = await exported(running, 1)
    assert b"quiet: 22:00-07:00" in document and b"timezone: America/New_York" in document
    reply = await replied(
        running, 2, lambda: running.standin.send_document(2, document, caption="/import"), 2
    )
    # answered in the language the import brought (es)
    assert reply.startswith("Importado. Lo que cambió aquí:\n• topics: ai, space\n")
    assert follows(running.store, 2) == (False, ["ai", "space"])
    two = running.store.feeds.ensure(2)
    assert running.store.settings.get(two.id) == SETTINGS
    assert (two.min_quality, two.muted) == (40, ("crypto",))
    assert running.store.settings.required(two.id) == ["robots"]
    assert await exported(running, 2) == document


async def test_import_by_replying_to_the_document(running: Running) -> None:
    """Replying /import to an exported document applies it too."""
    await running.command(1, "/subscribe AI")
    document = await exported(running, 1)
    message = running.standin.send_document(3, document)  # no caption: nothing happens
    reply = await replied(
        running, 3, lambda: running.standin.say(3, "/import", reply_to=message), 2
    )
    assert reply == "Imported. What changed here:\n• topics: ai"
    assert follows(running.store, 3) == (False, ["ai"])


async def test_a_bad_import_is_refused_whole_and_changes_nothing(running: Running) -> None:
    """One bad value refuses the document with the reason; the chat stays as it was."""
    await running.command(4, "/subscribe Space")
    bad = b"topics: [AI]\nsettings:\n  format: photo\n  timezone: Mars/Olympus\n"
    reply = await replied(
        running, 4, lambda: running.standin.send_document(4, bad, caption="/import")
    )
    assert reply.startswith("Nothing was imported: settings.timezone")
    assert follows(running.store, 4) == (False, ["space"])
    unknown = b"topics: [AI]\ncolour: red\n"
    reply = await replied(
        running, 4, lambda: running.standin.send_document(4, unknown, caption="/import")
    )
    assert "unknown key colour" in reply
    assert follows(running.store, 4) == (False, ["space"])
    assert (await running.command(4, "/import")).startswith("Send an exported document")


async def test_import_refuses_a_document_over_the_size_cap(running: Running) -> None:
    """A large file is refused before it is read."""
    big = b"topics: [" + b"a, " * 30000 + b"b]\n"
    reply = await replied(
        running, 5, lambda: running.standin.send_document(5, big, caption="/import")
    )
    assert "too large" in reply
    await eventually(lambda: not any(m == "getFile" for m, _ in running.standin.calls))


async def test_an_import_changes_only_what_the_document_holds(running: Running) -> None:
    """A document of one setting leaves the chat's topics, filters and other settings as
    they were, and the reply names the one change."""
    feed = follow(running.store, 6, ["AI"])
    running.store.feeds.mute(feed, "crypto")
    running.store.settings.save(feed, SETTINGS)
    only = b"settings:\n  format: text\n"
    reply = await replied(
        running, 6, lambda: running.standin.send_document(6, only, caption="/import"), 2
    )
    assert reply == "Importado. Lo que cambió aquí:\n• settings.format: text"
    assert follows(running.store, 6) == (False, ["ai"])
    assert running.store.settings.get(feed) == dataclasses.replace(SETTINGS, format="text")
    assert running.store.feeds.find(6).muted == ("crypto",)  # type: ignore[union-attr]
    again = await replied(
        running, 6, lambda: running.standin.send_document(6, only, caption="/import")
    )
    assert again == "Nada que cambiar: este chat ya tiene lo que contiene el documento."


async def test_the_feed_as_it_was_comes_back_and_undoes_the_import(running: Running) -> None:
    """The reply to an import sends the chat as it was; sent back, it undoes the import."""
    feed = follow(running.store, 7, ["AI"])
    running.store.feeds.mute(feed, "crypto")
    new = b"topics: [Space]\nfilters: {mute: [], quality: 50}\n"
    reply, undo = await answered(
        running, 7, lambda: running.standin.send_document(7, new, caption="/import"), 2
    )
    assert reply.text == (
        "Imported. What changed here:\n• topics: Space\n• filters.quality: 50\n• filters.mute: none"
    )
    assert undo.method == "sendDocument" and undo.text is not None
    assert undo.text.startswith("This chat as it was before the import.")
    assert follows(running.store, 7) == (False, ["space"])
    await answered(
        running,
        7,
        lambda: running.standin.send_document(7, undo.params["document"], caption="/import"),
        2,
    )
    assert follows(running.store, 7) == (False, ["ai"])
    back = running.store.feeds.find(7)
    assert back is not None and (back.muted, back.min_quality) == (("crypto",), None)


async def test_an_edited_caption_never_imports_again(running: Running) -> None:
    """Editing the caption of an old /import document runs nothing: the chat's later
    changes stay."""
    document = b"topics: [AI]\n"
    message = running.standin.send_document(8, document, caption="/import")
    await running.standin.until(lambda: len(running.standin.messages_to(8)) == 2)
    await running.command(8, "/unsubscribe AI")
    running.standin.edit(message, caption="/import ")
    await running.command(8, "/help")  # handled after the edit
    assert follows(running.store, 8) == (False, [])
    assert [m.method for m in running.standin.messages_to(8)].count("sendDocument") == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- just\n- a list\n", "not a newsbot export"),
        ("topics: [AI\n", "not valid YAML"),
        ("a: &x 1\nb: *x\n", "aliases"),
        ("topics: !!python/object:os.system x\n", "tag"),
        ("topics: AI\n", "topics must be a list"),
        ("filters: {quality: 101}\n", "filters.quality"),
        ("filters: {quality: true}\n", "filters.quality"),
        ("filters: {mute: [1, 2]}\n", "filters.mute"),
        ("filters: {loud: [x]}\n", "unknown key loud"),
        ("settings: {format: huge}\n", "settings.format"),
        ("settings: {quiet: '22:00-22:00'}\n", "different start and end"),
        ("settings: {digest: weekly}\n", "settings.digest"),
        ("settings: {volume: 3}\n", "unknown key volume"),
        ("settings: [format]\n", "settings must be a mapping"),
    ],
)
def test_malformed_imports_are_refused_with_the_reason(text: str, reason: str) -> None:
    """Each malformed document names what is wrong."""
    with pytest.raises(ImportRefused, match=reason):
        parse_import(text)


def test_bare_on_and_off_read_as_yaml_booleans_still_import() -> None:
    """`silent: on` and `quiet: off` unquoted (YAML booleans) mean what they say."""
    export = parse_import("topics: all\nsettings: {silent: on, quiet: off, digest: off}\n")
    assert export.all_topics and export.settings.silent
    assert export.settings.quiet_start is None and export.settings.digest == "off"


def test_an_import_keeps_what_the_document_lacks() -> None:
    """Sections, filters and settings the document does not name keep their values."""
    current = parse_import(
        "topics: [AI]\nfilters: {quality: 40, mute: [x], require: [y]}\n"
        "settings: {format: compact, silent: on}\n"
    )
    after = parse_import("filters: {mute: [z]}\nsettings: {silent: off}\n", current)
    assert (after.topics, after.quality, after.mute, after.require) == (("AI",), 40, ("z",), ("y",))
    assert (after.settings.format, after.settings.silent) == ("compact", False)
