"""Engine and session factory; built on demand from a URL, never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 20, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; for SQLite make the file's folder and turn on foreign keys.

    ``pool_size`` (PostgreSQL): connections kept open. Size it to what the process runs at
    once: a connection opened past the pool is closed again after use, and opening one costs
    far more than a query (the bot sizes it from CONCURRENT_UPDATES)."""
    # Error messages must not carry query parameters (names, Telegram ids) into the logs.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("max_overflow", 10)
    kwargs["pool_size"] = pool_size
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
