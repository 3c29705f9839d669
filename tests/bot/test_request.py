"""AiohttpRequest, the bot's HTTP transport, against small Bot API stand-ins on loopback:
what PTB promises its callers (replies parsed, TimedOut, NetworkError, files uploaded)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import telegram
from aiohttp import web
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.serving.http import AiohttpRequest

TOKEN = "123:test"
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hi"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def api() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a one-route Bot API stand-in; yields a function that serves ``handler``."""
    runners: list[web.AppRunner] = []

    async def serve(handler: Handler) -> str:
        async def route(request: web.Request) -> web.StreamResponse:
            if request.match_info["method"] == "getMe":  # what Bot.initialize asks first
                return _ok({"id": 123, "is_bot": True, "first_name": "Dars", "username": "dars"})
            return await handler(request)

        app = web.Application()
        app.router.add_post("/bot{token}/{method}", route)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/bot"

    yield serve
    for runner in runners:
        await runner.cleanup()


def _ok(result: object) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def test_a_message_goes_out_as_one_json_body_and_the_reply_is_parsed(api) -> None:
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        seen["content_type"] = request.content_type
        seen["body"] = await request.read()
        seen["method"] = request.match_info["method"]
        params = json.loads(seen["body"])  # type: ignore[arg-type]
        seen.update(params)
        return _ok(MESSAGE | {"text": params["text"]})

    base = await api(handler)
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("💡 সংকেত", callback_data="h:1:0:1")]]
    )
    async with telegram.Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        sent = await bot.send_message(42, "সঠিক! ৩/৪", reply_markup=markup)
    assert seen["method"] == "sendMessage" and seen["content_type"] == "application/json"
    assert seen["chat_id"] == 42 and seen["text"] == "সঠিক! ৩/৪"
    # Nested objects as objects, and Bengali as UTF-8 (not escaped): a small body.
    assert seen["reply_markup"] == {
        "inline_keyboard": [[{"text": "💡 সংকেত", "callback_data": "h:1:0:1"}]]
    }
    assert "সঠিক".encode() in seen["body"]  # type: ignore[operator]
    assert sent.text == "সঠিক! ৩/৪" and sent.message_id == 7


async def test_a_file_is_uploaded_as_multipart(api) -> None:
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        seen.update(chat=form["chat_id"], name=upload.filename, body=upload.file.read())
        return _ok(MESSAGE)

    base = await api(handler)
    async with telegram.Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        await bot.send_document(42, document=b"grade,streak\n7,14\n", filename="summary.csv")
    assert seen == {"chat": "42", "name": "summary.csv", "body": b"grade,streak\n7,14\n"}


async def test_a_stalled_api_raises_timed_out_in_time(api) -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return _ok(MESSAGE)

    base = await api(handler)
    request = AiohttpRequest(read_timeout=0.3)
    async with telegram.Bot(TOKEN, base_url=base, request=request) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimedOut):
            await bot.send_message(42, "hi")
        assert loop.time() - started < 2.0


async def test_flood_control_still_reaches_the_caller_as_retry_after(api) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
        return web.Response(status=429, text=json.dumps(body), content_type="application/json")

    base = await api(handler)
    async with telegram.Bot(TOKEN, base_url=base, request=AiohttpRequest()) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(42, "hi")
    wait = caught.value.retry_after
    assert (wait if isinstance(wait, int | float) else wait.total_seconds()) == 3


async def test_an_unreachable_api_raises_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_it_refuses_to_send_before_initialize_and_survives_a_second_shutdown() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    await request.initialize()  # PTB re-initializes a request after a restart
    await request.shutdown()
