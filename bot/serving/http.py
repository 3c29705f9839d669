"""PTB's networking on aiohttp: the ``BaseRequest`` contract, at a fraction of httpx's CPU.

PTB sends every Bot API call through a ``BaseRequest``; its default, ``HTTPXRequest``, costs
about 1.3 ms of CPU per call on our 2-core machine (httpx + httpcore + anyio), aiohttp about
0.1 ms (``bench/RESULTS.md``). A graded answer is one call (the reply), so on the hot path
this was a third of the bot's CPU. Everything above ``do_request`` (parameters, status codes
to exceptions, retries) stays PTB's own; ``ApplicationBuilder.request()`` is the documented
way to plug in another HTTP library.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, PTB's timeouts and errors."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # Bot API answers are parsed by PTB; nothing here needs cookies.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        # aiohttp has no write timeout of its own: the whole exchange gets the sum of the parts,
        # while waiting for a pooled connection plus connecting is bounded on its own.
        parts = (pool, connect, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        # Without files the parameters go as one JSON body (UTF-8, nested objects as they are),
        # which the Bot API accepts and which costs a fraction of form-encoding the text.
        body: Any = None
        headers = None
        if request_data is not None and not files:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = _JSON
        elif files:
            form = aiohttp.FormData(fields or {})
            for name, upload in files.items():
                if isinstance(upload, tuple):
                    filename, content, mimetype = upload
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                else:
                    form.add_field(name, upload)
            body = form
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


_JSON = {"Content-Type": "application/json"}

# PTB's "not given" marker; its class is private, its instance is public.
_NOT_GIVEN = type(BaseRequest.DEFAULT_NONE)


def _given(value: object, default: float | None) -> float | None:
    if isinstance(value, _NOT_GIVEN):
        return default
    return value if value is None else float(value)  # type: ignore[arg-type]
