"""A file dropped into the folder reaches a subscribed chat through the real stack."""

from __future__ import annotations

from tests.conftest import Running, eventually

ALICE = 1001


async def test_subscribed_chat_gets_push_with_title_link_and_image(running: Running) -> None:
    """/subscribe AI, then a new AI article: a photo push with linked title arrives."""
    reply = await running.command(ALICE, "/subscribe AI")
    assert "Subscribed to AI" in reply

    running.write("robots.txt")

    def pushed() -> bool:
        return any(m.method == "sendPhoto" for m in running.standin.messages_to(ALICE))

    await running.standin.until(pushed)
    push = next(m for m in running.standin.messages_to(ALICE) if m.method == "sendPhoto")
    assert push.photo == "https://img.example.com/robot.jpg"
    assert push.html is not None
    assert (
        '<a href="https://news.example.com/robots-laundry">Robots learn to fold laundry</a>'
        in push.html
    )
    assert push.params["parse_mode"] == "HTML"

    def state() -> tuple[str, int | None]:
        row = running.store.db.execute("SELECT state, message_id FROM deliveries").fetchone()
        return (row[0], row[1])

    await eventually(lambda: state()[0] != "sending")
    assert state() == ("sent", push.message_id)
