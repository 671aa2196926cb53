"""Inline mode: `inline_query` updates (a user typing `@bot words` in any chat) and
answerInlineQuery with Telegram's rules: answered once and in time, at most 50 results
with unique ids of 1-64 bytes, `next_offset` of at most 64 bytes, and each article result
with a title and a message of at most 4096 characters whose HTML parses."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standin.messages import check_body, check_preview
from tests.standin.updates import Updates
from tests.standin.wire import error, ok, user

ANSWER_WINDOW = 10.0  # seconds: after this a query is forgotten (clients give up too)
MAX_RESULTS = 50
MAX_ID_BYTES = 64
MAX_OFFSET_BYTES = 64
MAX_QUERY = 256  # characters Telegram lets a user type after the bot's name
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_query_ids = itertools.count(7_000_000)


@dataclass
class InlineQuery:
    """A query the stand-in sent the bot, and the answer it accepted (None: none yet)."""

    id: str
    user_id: int
    query: str
    offset: str
    at: float
    answer: dict[str, Any] | None = None
    refusals: list[str] = field(default_factory=list)
    update_id: int = 0
    answered_at: float | None = None  # when the accepted answer reached the stand-in

    @property
    def results(self) -> list[dict[str, Any]]:
        return [] if self.answer is None else list(self.answer.get("results") or [])


class InlineQueries(Updates):
    # --- what tests do as users -------------------------------------------------------

    def inline(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str | None = "sender",
        language_code: str | None = None,
    ) -> InlineQuery:
        """A user types `@bot <query>` in a chat of `chat_type` (None: Telegram did not say,
        as for a secret chat); `offset` is the `next_offset` of the page before."""
        if len(query) > MAX_QUERY:
            raise ValueError(f"Telegram lets a user type at most {MAX_QUERY} characters")
        asked = InlineQuery(str(next(_query_ids)), user_id, query, offset, time.time())
        payload: dict[str, Any] = {
            "id": asked.id,
            "from": user(user_id, language_code),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            payload["chat_type"] = chat_type
        with self._cond:
            self.inline_queries[asked.id] = asked
        asked.update_id = self.push_update({"inline_query": payload})
        return asked

    def age_query(self, query_id: str, seconds: float) -> None:
        """Make a query `seconds` older (past `ANSWER_WINDOW`: answering it is too late)."""
        with self._cond:
            self.inline_queries[query_id].at -= seconds

    # --- the API ----------------------------------------------------------------------

    def _answer_inline(self, _method: str, params: dict[str, Any]) -> web.Response:
        arrived = self.arrived  # before parsing and checks: their time is ours, not the bot's
        asked = self.inline_queries.get(str(params.get("inline_query_id")))
        if asked is None or asked.answer is not None or time.time() - asked.at > ANSWER_WINDOW:
            return self._refused(asked, 400, TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            return self._refused(asked, 400, "Bad Request: can't parse inline query results")
        if len(results) > MAX_RESULTS:
            return self._refused(asked, 400, "Bad Request: RESULTS_TOO_MUCH")
        if len(str(params.get("next_offset") or "").encode()) > MAX_OFFSET_BYTES:
            return self._refused(asked, 400, "Bad Request: NEXT_OFFSET_INVALID")
        ids: set[str] = set()
        for result in results:
            problem = _result_problem(result, ids)
            if problem is not None:
                return self._refused(asked, 400, problem)
            body = result["input_message_content"]
            refused = check_preview(body) or check_body(
                str(body.get("message_text") or ""), body.get("parse_mode"), 4096, "sendMessage"
            )
            if refused is not None:
                asked.refusals.append(refused.text or "")
                return refused
        asked.answer = params
        asked.answered_at = arrived
        return ok(True)

    def _refused(self, asked: InlineQuery | None, status: int, description: str) -> web.Response:
        if asked is not None:
            asked.refusals.append(description)
        return error(status, description)


def _result_problem(result: Any, ids: set[str]) -> str | None:
    """Why Telegram refuses one result of an answer (None: it does not)."""
    if not isinstance(result, dict):
        return "Bad Request: can't parse inline query result"
    result_id = str(result.get("id") or "")
    if not 1 <= len(result_id.encode()) <= MAX_ID_BYTES:
        return "Bad Request: RESULT_ID_INVALID"
    if result_id in ids:
        return "Bad Request: RESULT_ID_DUPLICATE"
    ids.add(result_id)
    if result.get("type") != "article":
        return "Bad Request: RESULT_TYPE_INVALID"  # the stand-in knows article results only
    if not result.get("title"):
        return "Bad Request: RESULT_TITLE_EMPTY"
    if not isinstance(result.get("input_message_content"), dict):
        return "Bad Request: SEND_MESSAGE_MEDIA_INVALID"
    return None
