"""What each sent message shows, remembered from its request until the row is settled,
then stored with the row's sent state: a later edit compares against it, and a retraction
records what it left of the message (deleted, or the withdrawn notice)."""

from __future__ import annotations

from bot.delivery.rendering import Push
from storage import Delivery, Store
from storage.followups import Shown


class ShownMessages:
    """Remembers, per row in flight, what its message shows once the row is sent."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # row -> (push row whose message it is, what that shows once the row is sent), set
        # before the request (a 'not modified' answer says it shows that already) and
        # recorded with the row's sent state
        self._shown: dict[int, tuple[int, Shown]] = {}
        self._left: dict[int, tuple[int, str]] = {}  # retraction row -> (push row, left)

    def remember(self, row: Delivery, push: Push | None, *, compact: bool = False) -> None:
        """What a push's message shows once sent (None: the plain-text fallback)."""
        if push is None:
            self._shown[row.id] = (row.id, Shown(False, None, None))
        else:
            shown = Shown(
                push.photo_url is not None, push.photo_url, push.html, compact, push.preview_url
            )
            self._shown[row.id] = (row.id, shown)

    def will_show(self, row: Delivery, push_id: int, shown: Shown) -> None:
        """An edit or retraction `row` makes the message of push `push_id` show `shown`."""
        self._shown[row.id] = (push_id, shown)

    def left(self, row: Delivery, push_id: int, left: str) -> None:
        """A retraction `row` left this of the message of push `push_id`."""
        self._left[row.id] = (push_id, left)

    def unchanged(self, row: Delivery) -> None:
        """The request of `row` failed: its message shows what it did before."""
        self._shown.pop(row.id, None)

    def record(self, row: Delivery, now: float) -> None:
        """Store what the message of a sent push, edit or retraction shows now, and what a
        retraction left of it (in the transaction that marks the row sent, through the
        sender's `Settlements`: a locked database delays it, and is no failed attempt)."""
        shown = self._shown.get(row.id)
        if shown is not None:
            self.store.followups.record_shown(*shown)
        left = self._left.get(row.id)
        if left is not None:
            self.store.followups.record_withdrawn(*left, now)

    def recorded(self, row: Delivery) -> None:
        """The transaction that `record` wrote in is committed: forget what it wrote (not
        before: a commit the database refuses is tried again whole)."""
        self._shown.pop(row.id, None)
        self._left.pop(row.id, None)
