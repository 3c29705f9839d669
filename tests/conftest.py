"""Shared fixtures: a throwaway PostgreSQL database per test run (and SQLite files), migrated
with Alembic, a controllable clock, and the sample bank."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.deps import Deps
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import Base
from problems.bank import parse_banks, sample_bank_dir

PG_ADMIN_DSN = os.environ.get("DARS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Every table of the schema, dependants first: what each test empties (a new table is
# never forgotten).
TABLES = tuple(table.name for table in reversed(Base.metadata.sorted_tables))
# Empties them all on PostgreSQL, ids starting again from 1.
TRUNCATE_ALL = text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


class FakeClock:
    """A clock the tests move by hand; starts at noon in Dhaka on 2026-03-10."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def set_local(self, text: str, tz: str = "Asia/Dhaka") -> None:
        from zoneinfo import ZoneInfo

        local = dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))
        self.now = local.astimezone(dt.UTC)


async def _pg_available() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def _require_pg() -> None:
    if not asyncio.run(_pg_available()):
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_DSN} (required in CI)")
        pytest.skip("PostgreSQL is not running (set CI=true to make this a failure)")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def throwaway_pg_database() -> Iterator[str]:
    """Create an empty PostgreSQL database with a unique name; drop it afterwards."""
    _require_pg()
    name = f"dars_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this test run's own, migrated to head."""
    with throwaway_pg_database() as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database for one test (migration tests)."""
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test that needs a database."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test using this runs on both engines."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    path = tmp_path / "dars.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(TRUNCATE_ALL)
    await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db_url,
        telegram_bot_token="123456:TEST",
        openai_api_key=None,
        # Test users answer as soon as the bot replies, faster than any person: per-user
        # flood control is tested on its own (tests/ops/test_flood.py).
        flood_rate_per_second=0,
    )


@pytest.fixture
def deps(engine: AsyncEngine, settings: Settings, clock: FakeClock) -> Deps:
    return Deps(db=create_sessionmaker(engine), settings=settings, clock=clock)


@pytest.fixture(scope="session")
def sample_bank():
    parsed = parse_banks([sample_bank_dir()])
    assert not parsed.errors, parsed.errors
    return parsed


@contextlib.asynccontextmanager
async def sample_bank_deps(pg_url: str, sample_bank, **settings: object) -> AsyncIterator[Deps]:
    """Deps on the run's PostgreSQL database with the sample bank loaded; every table is
    emptied afterwards. ``settings`` override the test defaults."""
    engine = create_engine(pg_url)
    config = Settings(
        _env_file=None, database_url=pg_url, telegram_bot_token="123456:TEST"
    ).model_copy(update={"flood_rate_per_second": 0.0, **settings})  # see ``settings``
    deps = Deps(db=create_sessionmaker(engine), settings=config, clock=FakeClock())
    await load_banks(deps.db, sample_bank)
    try:
        yield deps
    finally:
        async with engine.begin() as conn:
            await conn.execute(TRUNCATE_ALL)
        await engine.dispose()


@pytest.fixture
async def loaded_bank(deps: Deps, sample_bank):
    await load_banks(deps.db, sample_bank)
    return sample_bank
