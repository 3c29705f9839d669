"""Backups as docs/operations.md describes them: pg_dump → pg_restore into a fresh PostgreSQL
database, and SQLite's `.backup`; the bot carries on from the copy (a student finishes the
problem they were on, and their session goes on)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build_application, running
from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import PracticeSession, Response
from problems.bank import parse_banks, sample_bank_dir
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import _current_card, _onboard
from tests.conftest import FakeClock, throwaway_pg_database

USER = 7601


@pytest.fixture
def source_url() -> Iterator[str]:
    with throwaway_pg_database() as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def target_url() -> Iterator[str]:
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_live(tmp_path: Path) -> Path:
    path = tmp_path / "dars.sqlite3"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _run(*command: str, given: bytes | None = None) -> bytes:
    """Run a command (off the event loop); its output."""
    done = await asyncio.to_thread(
        subprocess.run, command, input=given, capture_output=True, check=True
    )
    return bytes(done.stdout)


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as pg_dump and psql take it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _deps(url: str, clock: FakeClock) -> Deps:
    settings = Settings(_env_file=None, database_url=url, telegram_bot_token="123456:TEST")
    return Deps(db=create_sessionmaker(create_engine(url)), settings=settings, clock=clock)


async def _answer_current(emu: BotApiEmulator, deps: Deps) -> list[str]:
    """Run the bot on ``deps``: the student answers the problem they are on, correctly."""
    settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    async with running(build_application(settings, deps=deps), poll_timeout=1):
        card, _ = await _current_card(deps, USER)
        return await ChatUser(emu, USER).send(card.answer_key.answer)


async def _state(deps: Deps) -> tuple[int, int]:
    async with deps.db() as s:
        answers = int(await s.scalar(select(func.count()).select_from(Response)) or 0)
        position = await s.scalar(select(PracticeSession.position))
    return answers, int(position or 0)


async def _first_day(emu: BotApiEmulator, deps: Deps) -> None:
    """Onboard, start today's practice and answer the first problem."""
    settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    async with running(build_application(settings, deps=deps), poll_timeout=1):
        user = ChatUser(emu, USER)
        await _onboard(user)
        await user.tap("Practice")
        card, _ = await _current_card(deps, USER)
        await user.send(card.answer_key.answer)
    assert await _state(deps) == (1, 1)


async def _carries_on(emu: BotApiEmulator, restored: Deps) -> None:
    assert await _state(restored) == (1, 1)
    reply = await _answer_current(emu, restored)
    assert reply[0].startswith("✅")
    assert "Problem 3 of 5" in reply[0]
    assert await _state(restored) == (2, 2)


async def test_a_pg_dump_restored_into_a_fresh_database_carries_on(
    sample_bank, source_url: str, target_url: str
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    clock = FakeClock()
    source = await _deps(source_url, clock)
    await load_banks(source.db, sample_bank)
    async with BotApiEmulator() as emu:
        await _first_day(emu, source)
        await source.db.kw["bind"].dispose()
        dump = await _run("pg_dump", "--format=custom", "--no-owner", _libpq(source_url))
        await _run(
            "pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(target_url), given=dump
        )
        restored = await _deps(target_url, clock)
        try:
            await _carries_on(emu, restored)
        finally:
            await restored.db.kw["bind"].dispose()


async def test_a_sqlite_backup_carries_on(tmp_path: Path, sqlite_live: Path) -> None:
    if not shutil.which("sqlite3"):
        pytest.skip("the sqlite3 command is not installed")
    bank = parse_banks([sample_bank_dir() / "g6-01-place-value.yaml"])
    live, copy = sqlite_live, tmp_path / "backup.sqlite3"
    url = f"sqlite+aiosqlite:///{live}"
    clock = FakeClock()
    deps = await _deps(url, clock)
    await load_banks(deps.db, bank)
    async with BotApiEmulator() as emu:
        await _first_day(emu, deps)
        # While the database is open (the bot could be running): `.backup` is consistent.
        await _run("sqlite3", str(live), f".backup '{copy}'")
        await deps.db.kw["bind"].dispose()
        live.unlink()
        restored = await _deps(f"sqlite+aiosqlite:///{copy}", clock)
        try:
            await _carries_on(emu, restored)
        finally:
            await restored.db.kw["bind"].dispose()
