"""The webhook server against slow clients, its default address, and its secret's length
(SECURITY-REVIEW.md, findings 3 and 9)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import build_application
from bot.config import Settings
from bot.services.deps import Deps
from bot.serving.runner import run_webhook, webhook_problem
from bot.serving.webhook import serving
from botapi_emulator import BotApiEmulator
from tests.bot.test_webhook import HEADER, SECRET, URL, _update

TIMEOUT = 1.0


@contextlib.asynccontextmanager
async def _server(emu: BotApiEmulator, deps: Deps) -> AsyncIterator[int]:
    settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    app = build_application(settings, deps=deps)
    async with serving(
        app,
        url=URL,
        secret=SECRET,
        host="127.0.0.1",
        port=0,
        header_timeout=TIMEOUT,
        body_timeout=TIMEOUT,
    ) as port:
        yield port


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes | None:
    """What the server said before closing, or None if it kept the connection open."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except TimeoutError:
        return None
    except ConnectionError:  # closed by the server while we were still writing
        return b""


async def test_connections_that_never_finish_their_headers_are_closed(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    async with _server(emu, e2e_deps) as port:
        slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
        for _reader, writer in slow:
            writer.write(b"POST /hooks/telegram HTTP/1.1\r\nHost: x\r\n")  # …and nothing more
            await writer.drain()
        # One header line a moment, each before the timeout: still closed at the deadline.
        dribble_reader, dribble = await asyncio.open_connection("127.0.0.1", port)
        dribble.write(b"POST /hooks/telegram HTTP/1.1\r\n")
        for i in range(3):
            await asyncio.sleep(TIMEOUT / 2)
            with contextlib.suppress(ConnectionError):
                dribble.write(f"X-Pad-{i}: y\r\n".encode())
        results = await asyncio.gather(*(_closed_within(r, 3 * TIMEOUT) for r, _ in slow))
        assert all(result is not None for result in results)
        assert await _closed_within(dribble_reader, 3 * TIMEOUT) is not None
        for _reader, writer in [*slow, (dribble_reader, dribble)]:
            writer.close()
        # The server still serves a real update afterwards.
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/hooks/telegram",
                json=_update(9901, "/start"),
                headers={HEADER: SECRET},
            ) as r,
        ):
            assert r.status == 200


async def test_a_body_that_never_arrives_is_answered_408(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    async with _server(emu, e2e_deps) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                "POST /hooks/telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"{HEADER}: {SECRET}\r\nContent-Length: 500\r\n\r\n"
                '{"update_id": 1'
            ).encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(200), 4 * TIMEOUT)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408")


def test_both_servers_bind_loopback_unless_told() -> None:
    settings = Settings(_env_file=None)
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.metrics_listen == "127.0.0.1"
    assert settings.webhook_header_timeout_seconds == 10
    assert settings.webhook_body_timeout_seconds == 10


@pytest.mark.parametrize("length", [1, 16, 31])
def test_a_webhook_secret_shorter_than_32_characters_is_refused(
    length: int, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token="1:x",
        webhook_url=URL,
        webhook_secret=SecretStr("Z" * length),
        database_url="sqlite+aiosqlite:///does-not-matter.sqlite3",
    )
    problem = webhook_problem(settings)
    assert problem is not None
    assert problem.startswith(f"WEBHOOK_SECRET is {length} characters long")
    assert "Z" not in problem  # the secret is never echoed
    with caplog.at_level(logging.ERROR):
        assert run_webhook(settings) == 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [problem]
    ok = settings.model_copy(update={"webhook_secret": SecretStr("Z" * 32)})
    assert webhook_problem(ok) is None
