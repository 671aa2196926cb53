"""The outbox's states live in one module: `storage.outbox` spells them, and no other
module of bot/ or storage/ writes one as a bare string."""

from __future__ import annotations

import re
from pathlib import Path

from storage import Delivery, Store
from storage.outbox import DeliveryState

ROOT = Path(__file__).resolve().parent.parent
HOME = Path("storage/outbox.py")
# migrations are history: each creates what the values were when it was written
HISTORY = {Path("storage/schema.py"), Path("storage/schema_initial.py")}
BARE_STATE = re.compile(
    r"""(['"])(%s)\1""" % "|".join(state.value for state in DeliveryState)  # noqa: UP031
)


def bare_states(path: Path) -> list[str]:
    """The lines of `path` that quote a state's value."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"{path}:{n}: {line.strip()}" for n, line in enumerate(lines, 1) if BARE_STATE.search(line)
    ]


def test_no_module_but_the_outbox_spells_a_delivery_state() -> None:
    """bot/ and storage/ name the states through `DeliveryState`, outside storage/outbox.py."""
    found = [
        line
        for package in ("bot", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (relative := path.relative_to(ROOT)) != HOME and relative not in HISTORY
        for line in bare_states(relative)
    ]
    assert found == []


def test_the_check_finds_a_bare_state(tmp_path: Path) -> None:
    """A quoted state in SQL or Python is found, a state inside a longer word is not."""
    module = tmp_path / "module.py"
    module.write_text(
        "QUERY = \"SELECT 1 WHERE state = 'sent'\"\nDONE = \"sent\"\nWORD = 'sentence'\n"
    )
    assert [line.split(": ", 1)[1] for line in bare_states(module)] == [
        "QUERY = \"SELECT 1 WHERE state = 'sent'\"",
        'DONE = "sent"',
    ]


def test_the_stored_values_are_the_states_as_spelled() -> None:
    """The enum's values are the strings the database holds (no migration of values)."""
    assert [str(state) for state in DeliveryState] == [
        "pending",
        "sending",
        "sent",
        "failed",
        "cancelled",
        "held",
        "digested",
    ]
    assert f"state = '{DeliveryState.PENDING}'" == "state = 'pending'"


def broadcast_on_the_wire(store: Store, chat_id: int) -> Delivery:
    """A broadcast to `chat_id`, claimed by the sender."""
    store.chats.register(chat_id, "private", None)
    store.queueing.queue_broadcast("Maintenance tonight", 100.0)
    [row] = [row for row in store.outbox.ready(10, 100.0) if row.chat_id == chat_id]
    assert store.outbox.claim(row.id, 100.0)
    return row


def test_a_row_refused_for_its_markup_goes_again_at_once_as_plain_text(store: Store) -> None:
    """retry_as_plain: pending again, due now, and `plain` on every later hand-out."""
    row = broadcast_on_the_wire(store, 7)
    assert not row.plain
    store.outbox.retry_as_plain(row.id, "can't parse entities", 101.0)
    [again] = store.outbox.ready(10, 101.0)
    assert (again.id, again.plain, again.attempts) == (row.id, True, 1)


def test_a_flood_wait_holds_the_chat_and_counts_as_flood_held(store: Store) -> None:
    """wait_out_flood: the row waits `seconds`, not as a failed attempt, and /stats counts
    its chat among those a flood limit holds."""
    row = broadcast_on_the_wire(store, 8)
    store.outbox.wait_out_flood(row.id, 30.0, 100.0)
    assert store.outbox.ready(10, 129.0) == []
    [again] = store.outbox.ready(10, 130.0)
    assert again.attempts == 0
    assert store.figures.flood_held(100.0) == (1, 130.0)
