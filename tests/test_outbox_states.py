"""The outbox's states live in one module: `storage.outbox` spells them, and no other
module of bot/ or storage/ writes one as a bare string."""

from __future__ import annotations

import re
from pathlib import Path

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
