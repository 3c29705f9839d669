"""Webhook mode end to end: real HTTP into the server, replies out through the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_application
from bot.config import Settings
from bot.services.deps import Deps
from bot.serving.runner import webhook_problem
from bot.serving.webhook import serving, webhook_path
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from db.models import GuardianLink, Student
from tests.bot.conftest import ChatUser
from tests.services.test_families import make_student

URL = "https://dars.example.org/hooks/telegram"
SECRET = "s3cret-Token_42-of-at-least-32-characters"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
_ids = itertools.count(50_000)


def _update(user_id: int, text: str, *, language_code: str = "en") -> dict[str, Any]:
    """A private-chat text message as Telegram would POST it."""
    update_id = next(_ids)
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": {
            "id": user_id,
            "is_bot": False,
            "first_name": "Rahim",
            "language_code": language_code,
        },
        "chat": {"id": user_id, "type": "private", "first_name": "Rahim"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [
            {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
        ]
    return {"update_id": update_id, "message": message}


@contextlib.asynccontextmanager
async def _server(emu: BotApiEmulator, deps: Deps) -> AsyncIterator[str]:
    settings = deps.settings.model_copy(
        update={
            "telegram_api_base_url": emu.base_url,
            "webhook_url": URL,
            "webhook_secret": SecretStr(SECRET),
        }
    )
    app = build_application(settings, deps=deps)
    async with serving(app, url=URL, secret=SECRET, host="127.0.0.1", port=0) as port:
        yield f"http://127.0.0.1:{port}"


async def _count(deps: Deps, model: type) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_updates_with_the_secret_are_processed_and_others_refused(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    async with _server(emu, e2e_deps) as base, aiohttp.ClientSession() as http:
        (registered,) = emu.calls_to("setWebhook")
        assert registered.params["url"] == URL
        assert registered.params["secret_token"] == SECRET
        assert "callback_query" in registered.params["allowed_updates"]

        post = f"{base}/hooks/telegram"
        async with http.post(post, json=_update(9801, "/start"), headers={HEADER: SECRET}) as r:
            assert r.status == 200
        (welcome,) = await emu.wait_for("sendMessage", chat_id=9801)
        assert welcome.params["text"].startswith("Welcome to Dars!")

        for headers in ({HEADER: "wrong"}, {}, {HEADER: SECRET + "x"}, {HEADER: "জ"}):
            async with http.post(post, json=_update(9802, "/start"), headers=headers) as r:
                assert r.status == 403
        async with http.post(post, data="not json", headers={HEADER: SECRET}) as r:
            assert r.status == 400
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200
            assert await r.json() == {"status": "ok"}
        await asyncio.sleep(0.4)
        assert emu.calls_to("sendMessage", 9802) == []
        async with e2e_deps.db() as s:
            ids = (await s.scalars(select(Student.telegram_id))).all()
        assert ids == [9801]


async def test_an_update_is_answered_only_once_it_has_been_handled(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    """So an update a dying process never finished is delivered again by Telegram."""
    async with _server(emu, e2e_deps) as base, aiohttp.ClientSession() as http:
        emu.response_delay = 0.3  # the reply takes a while to reach Telegram
        async with http.post(
            f"{base}/hooks/telegram", json=_update(9821, "/start"), headers={HEADER: SECRET}
        ) as r:
            assert r.status == 200
            # By the time Telegram hears 200, the student's reply has already been sent.
            (welcome,) = emu.calls_to("sendMessage", 9821)
        assert welcome.params["text"].startswith("Welcome to Dars!")
        assert await _count(e2e_deps, Student) == 1


async def test_a_student_practises_through_telegrams_own_deliveries(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    """Updates reach the bot the way Telegram sends them: POSTed to WEBHOOK_URL (here routed
    to the local port, as DNS and a TLS proxy would), each confirmed by the bot's 200."""
    async with _server(emu, e2e_deps) as base:
        emu.webhook_routes["https://dars.example.org"] = base
        user = ChatUser(emu, 9831)
        assert (await user.send("/start"))[-1].startswith("Welcome to Dars!")
        await user.tap("English")
        await user.tap("Class 6")
        await user.tap("✅")
        problem = (await user.tap("Practice"))[-1]
        assert "Problem 1 of" in problem
        replies = await user.send("987654")
        assert "Not quite" in replies[-1]
        assert emu.pending_updates == 0
        posts = emu.webhook_posts
        assert len(posts) == 6 and all(post.ok for post in posts)
        assert emu.webhook_url == URL


async def test_two_processes_behind_one_url_share_state(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    """An invite made through one server is redeemed through the other."""
    await make_student(e2e_deps, 9811, "Rafi")
    async with (
        _server(emu, e2e_deps) as first,
        _server(emu, e2e_deps) as second,
        aiohttp.ClientSession() as http,
    ):
        headers = {HEADER: SECRET}
        async with http.post(
            f"{first}/hooks/telegram", json=_update(9811, "/invite"), headers=headers
        ) as r:
            assert r.status == 200
        (invite,) = await emu.wait_for("sendMessage", chat_id=9811)
        payload = invite.params["text"].split("?start=")[1].split()[0]
        async with http.post(
            f"{second}/hooks/telegram", json=_update(9812, f"/start {payload}"), headers=headers
        ) as r:
            assert r.status == 200
        (linked,) = await emu.wait_for("sendMessage", chat_id=9812)
        assert linked.params["text"].startswith("✅ You now follow Rafi's practice")
    assert await _count(e2e_deps, GuardianLink) == 1


async def test_two_servers_can_share_one_port(emu: BotApiEmulator, e2e_deps: Deps) -> None:
    """Processes on one host can serve one WEBHOOK_PORT; the kernel spreads the connections."""
    settings = e2e_deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    first, second = (build_application(settings, deps=e2e_deps) for _ in range(2))
    async with serving(first, url=URL, secret=SECRET, host="127.0.0.1", port=0) as port:  # noqa: SIM117 - the second needs the first one's port
        async with serving(second, url=URL, secret=SECRET, host="127.0.0.1", port=port) as same:
            assert same == port
            emu.webhook_routes["https://dars.example.org"] = f"http://127.0.0.1:{port}"
            for user in range(9841, 9861):
                emu.push_message(user, "/start")
            welcomes = await emu.wait_for("sendMessage", count=20, timeout=15)
    assert {call.chat_id for call in welcomes} == set(range(9841, 9861))
    assert await _count(e2e_deps, Student) == 20


async def test_health_is_503_without_a_database(emu: BotApiEmulator, e2e_deps: Deps) -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    broken = Deps(db=create_sessionmaker(engine), settings=e2e_deps.settings, clock=e2e_deps.clock)
    try:
        async with (
            _server(emu, broken) as base,
            aiohttp.ClientSession() as http,
            http.get(f"{base}/healthz") as r,
        ):
            assert r.status == 503
    finally:
        await engine.dispose()


def test_webhook_settings_are_required_and_checked() -> None:
    base = Settings(_env_file=None, telegram_bot_token="1:x")
    assert "WEBHOOK_URL and WEBHOOK_SECRET" in (webhook_problem(base) or "")
    with_url = base.model_copy(update={"webhook_url": URL})
    assert "WEBHOOK_SECRET" in (webhook_problem(with_url) or "")
    bad_secret = with_url.model_copy(update={"webhook_secret": SecretStr("has spaces")})
    assert "WEBHOOK_SECRET must be" in (webhook_problem(bad_secret) or "")
    good = with_url.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    assert webhook_problem(good) is None
    assert webhook_path(URL) == "/hooks/telegram"
    assert webhook_path("https://dars.example.org") == "/telegram"
