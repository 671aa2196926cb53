"""/export and /import through the stand-in (sendDocument, getFile, the file download
path), and every way an import is refused whole."""

from __future__ import annotations

import pytest

from bot.chat.transfer import ImportRefused, parse_import
from storage.settings import FeedSettings
from tests.conftest import Running, eventually
from tests.feeds import follow, follows

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


async def replied(running: Running, chat_id: int, action: object) -> str:
    before = len(running.standin.messages_to(chat_id))
    assert callable(action)
    action()
    await running.standin.until(lambda: len(running.standin.messages_to(chat_id)) > before)
    return running.standin.messages_to(chat_id)[-1].text or ""


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
        running, 2, lambda: running.standin.send_document(2, document, caption="/import")
    )
    # answered in the language the import brought (es)
    assert reply.startswith("Importado: temas: 2, filtros: 3")
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
    reply = await replied(running, 3, lambda: running.standin.say(3, "/import", reply_to=message))
    assert reply.startswith("Imported: 1 topics")
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
