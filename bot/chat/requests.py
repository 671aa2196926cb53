"""Requests to the Bot API with a JSON body, one of the four forms the API takes.

python-telegram-bot sends every request as an HTML form: each nested object JSON-encoded,
then the whole body percent-encoded in Python, byte by byte. An inline answer (20
results, 39 KB as a form) took 1.5 ms to encode so, and 0.1 ms as the JSON body (32 KB)
the Bot API also accepts ("application/json, except for uploading files"). Requests
that upload a file stay multipart, as PTB builds them.
"""

from __future__ import annotations

import json

import httpx
from telegram._utils.defaultvalue import DefaultValue  # PTB's "not given", as PTB checks it
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

JSON = "application/json"


class JsonRequest(HTTPXRequest):
    """PTB's httpx client, sending the parameters of a request without files as JSON."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        default = self._client.timeout
        timeout = httpx.Timeout(
            connect=_given(connect_timeout, default.connect),
            read=_given(read_timeout, default.read),
            write=_given(write_timeout, default.write),
            pool=_given(pool_timeout, default.pool),
        )
        try:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: escaped, as JSON allows, not a failure
            body = json.dumps(request_data.parameters).encode()
        headers = {"User-Agent": self.USER_AGENT, "Content-Type": JSON}
        try:
            answer = await self._client.request(
                method=method, url=url, headers=headers, timeout=timeout, content=body
            )
        except httpx.TimeoutException as error:  # as PTB maps httpx's errors
            if isinstance(error, httpx.PoolTimeout):
                raise TimedOut(
                    "Pool timeout: all connections are in use; the request was not sent"
                ) from error
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return answer.status_code, answer.content


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value
