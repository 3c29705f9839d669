"""How a started bot holds its resources: database connections for every update slot, a
heap the garbage collector does not walk again and again, nothing per user it has seen, and
the event loop it runs on."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator

import pytest
import uvloop
from sqlalchemy import event, text

from bot.app import (
    MODEL_SLOTS,
    PerUserUpdateProcessor,
    build_application,
    running,
)
from bot.config import Settings
from bot.services.model_wait import waiting_for_model
from bot.serving.runner import frozen_after_start, new_event_loop
from botapi_emulator import BotApiEmulator
from tests.bot.conftest import ChatUser


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process's collector as it was found."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _settings(pg_url: str, emu: BotApiEmulator, concurrent_updates: int = 32) -> Settings:
    return Settings(
        _env_file=None,
        database_url=pg_url,
        telegram_bot_token=emu.token,
        telegram_api_base_url=emu.base_url,
        concurrent_updates=concurrent_updates,
    )


async def test_every_update_slot_can_hold_a_connection_without_reconnecting(
    pg_url: str, emu: BotApiEmulator
) -> None:
    """All slots busy at once, twice: the second time opens no connection, and none is thrown
    away after use (opening one costs the bot far more than a query)."""
    settings = _settings(pg_url, emu, concurrent_updates=20)
    app = build_application(settings)
    async with running(app, poll_timeout=1):
        engine = app.bot_data.engine
        opened: list[object] = []
        closed: list[object] = []
        event.listen(engine.sync_engine.pool, "connect", lambda *_: opened.append(1))
        event.listen(engine.sync_engine.pool, "close", lambda *_: closed.append(1))
        busy = settings.concurrent_updates + MODEL_SLOTS
        everyone_in = asyncio.Barrier(busy)

        async def one_update() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await everyone_in.wait()

        for wave in (1, 2):
            await asyncio.wait_for(asyncio.gather(*(one_update() for _ in range(busy))), 30)
            if wave == 1:
                first_wave = len(opened)
        assert first_wave >= busy - 1  # the pool may already have held one
        assert len(opened) == first_wave, "the second wave had to open connections again"
        assert closed == []


async def test_a_started_bot_leaves_its_startup_objects_out_of_garbage_collection(
    pg_url: str, emu: BotApiEmulator, unfrozen: None
) -> None:
    """``dars run`` freezes what start-up made (modules, classes, pools): a full collection
    then walks only what came after, not the ~165,000 objects of the libraries."""
    app = frozen_after_start(build_application(_settings(pg_url, emu)))
    async with running(app, poll_timeout=1):
        assert gc.get_freeze_count() > 50_000
        assert len(gc.get_objects(generation=2)) < gc.get_freeze_count() / 2


async def test_a_bot_built_for_tests_leaves_the_collector_alone(
    pg_url: str, emu: BotApiEmulator, unfrozen: None
) -> None:
    app = build_application(_settings(pg_url, emu))
    async with running(app, poll_timeout=1):
        assert gc.get_freeze_count() == 0


async def test_a_running_bot_keeps_nothing_per_user_it_has_seen(
    pg_url: str, emu: BotApiEmulator
) -> None:
    """A process runs for weeks and meets every student: once their updates are answered,
    nothing of theirs stays in its memory. PTB notes each user and chat for a persistence,
    which Dars does not configure; those notes used to pile up, one per user ever seen."""
    app = build_application(_settings(pg_url, emu))
    async with running(app, poll_timeout=1):
        replies = await asyncio.gather(*(ChatUser(emu, u).send("/help") for u in range(1, 31)))
        assert all(replies)
        processor = app.update_processor
        assert isinstance(processor, PerUserUpdateProcessor)
        assert processor._locks == {} and processor._users == {}
        assert app._user_ids_to_be_updated_in_persistence == set()
        assert app._chat_ids_to_be_updated_in_persistence == set()
        assert not app.user_data and not app.chat_data


@pytest.mark.parametrize(("setting", "uv"), [("uvloop", True), ("asyncio", False)])
def test_dars_run_runs_on_the_event_loop_of_its_setting(setting: str, uv: bool) -> None:
    loop = new_event_loop(Settings(_env_file=None, event_loop=setting).event_loop)
    try:
        assert isinstance(loop, uvloop.Loop) is uv
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()


def test_without_uvloop_installed_dars_run_falls_back_to_asyncio(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what an import of a missing module does
    loop = new_event_loop(Settings(_env_file=None, event_loop="uvloop").event_loop)
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert not isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    assert "uvloop is not installed" in caplog.text


async def test_an_update_waiting_for_the_model_gives_its_slot_to_other_students() -> None:
    """With one slot, a student whose hint waits seconds for the model must not hold up
    another student's rule-graded answer; the verdict then finishes in a model slot."""
    processor = PerUserUpdateProcessor(1, model_slots=1)
    events: list[str] = []
    model_replied = asyncio.Event()

    async def graded() -> None:
        events.append("answer graded")

    async def model_answer() -> None:
        async with waiting_for_model():
            await model_replied.wait()
        events.append("verdict handled")

    waiting = asyncio.create_task(processor.process_update(object(), model_answer()))
    await asyncio.sleep(0)
    await asyncio.wait_for(processor.process_update(object(), graded()), 1.0)
    assert events == ["answer graded"]
    model_replied.set()
    await asyncio.wait_for(waiting, 1.0)
    assert events == ["answer graded", "verdict handled"]
