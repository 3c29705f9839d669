"""/metrics and /healthz over real HTTP, after real chat traffic through the Bot API emulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application, running
from bot.services.deps import Deps
from bot.serving.ops import ops_server
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import _current_card, _onboard

# Every metric docs/operations.md documents.
DOCUMENTED = {
    "dars_updates_total",
    "dars_updates_flooded_total",
    "dars_handler_seconds",
    "dars_answers_total",
    "dars_model_calls_total",
    "dars_model_cost_usd_total",
    "dars_budget_refusals_total",
    "dars_scheduled_sends_total",
    "dars_scheduled_send_429_total",
    "dars_scheduled_send_403_total",
    "dars_deliveries_pending",
    "dars_active_students_today",
    "dars_metrics_database_errors_total",
}


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` of a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@contextlib.asynccontextmanager
async def _bot_with_ops(emu: BotApiEmulator, deps: Deps) -> AsyncIterator[str]:
    settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    app = build_application(settings, deps=deps)
    async with running(app, poll_timeout=1), ops_server(app, host="127.0.0.1", port=0) as port:
        yield f"http://127.0.0.1:{port}"


async def _scrape(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        return await r.text()


async def test_metrics_count_real_chat_traffic(emu: BotApiEmulator, e2e_deps: Deps) -> None:
    async with _bot_with_ops(emu, e2e_deps) as base, aiohttp.ClientSession() as http:
        before = await _scrape(http, base)
        user = ChatUser(emu, 7401)
        await _onboard(user)
        await user.tap("Practice")
        card, _ = await _current_card(e2e_deps, user.id)
        await user.send("999999")  # wrong: try again
        await user.send(card.answer_key.answer)
        after = await _scrape(http, base)
        async with http.get(f"{base}/healthz") as r:
            assert r.status == 200
            assert await r.json() == {"status": "ok"}

    names = {family.name for family in text_string_to_metric_families(after)}
    assert {name.removesuffix("_total") for name in DOCUMENTED} <= names

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("dars_updates_total", kind="message") >= 3  # /start, two answers
    assert delta("dars_updates_total", kind="callback_query") >= 3  # language, class, name…
    assert delta("dars_answers_total", verdict="retry") == 1
    assert delta("dars_answers_total", verdict="correct") == 1
    assert delta("dars_handler_seconds_count", kind="message") >= 3
    assert delta("dars_updates_flooded_total", kind="message") == 0
    assert _value(after, "dars_active_students_today") == 1
    assert _value(after, "dars_deliveries_pending") == 0


async def test_health_is_503_before_start_and_when_the_database_is_down(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    # A database nobody listens on.
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:9/nothing")
    deps = Deps(db=create_sessionmaker(engine), settings=e2e_deps.settings, clock=e2e_deps.clock)
    settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    app = build_application(settings, deps=deps)
    try:
        async with (
            ops_server(app, host="127.0.0.1", port=0) as port,
            aiohttp.ClientSession() as http,
        ):
            url = f"http://127.0.0.1:{port}/healthz"
            async with http.get(url) as r:
                assert (r.status, await r.json()) == (503, {"status": "not running"})
            async with running(app, poll_timeout=1):
                async with http.get(url) as r:
                    assert r.status == 503
                    assert await r.json() == {"status": "database unavailable"}
                async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                    assert r.status == 200  # the counters still come, without the gauges
                    text = await r.text()
                assert _value(text, "dars_metrics_database_errors_total") >= 1
    finally:
        await engine.dispose()


async def test_the_ops_server_serves_nothing_else(emu: BotApiEmulator, e2e_deps: Deps) -> None:
    async with _bot_with_ops(emu, e2e_deps) as base, aiohttp.ClientSession() as http:
        for path in ("/", "/metrics/x", "/telegram"):
            async with http.get(base + path) as r:
                assert r.status == 404
        async with http.post(f"{base}/metrics", data=b"x") as r:
            assert r.status == 405
