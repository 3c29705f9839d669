"""The PostgreSQL pool: a connection that sat idle is checked before use, in one round trip;
a busy one is not checked at all; connections the server dropped are replaced."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from tests.conftest import _admin


async def _backend_pids(engine: AsyncEngine, count: int) -> set[int]:
    """Use ``count`` pooled connections at once; the server process id behind each."""
    everyone_in = asyncio.Barrier(count)

    async def one() -> int:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await everyone_in.wait()
            return int(pid)

    return set(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), 30))


async def _terminate(pids: set[int]) -> None:
    await _admin(f"SELECT pg_terminate_backend(pid) FROM unnest(ARRAY{sorted(pids)}) AS pid")


def _log_queries(engine: AsyncEngine) -> list[str]:
    """What each new connection sends outside prepared statements (asyncpg's query logger
    does not see the statements SQLAlchemy prepares: the SELECTs here)."""
    sent: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _attach(dbapi_connection: object, _record: object) -> None:
        driver = dbapi_connection.driver_connection  # type: ignore[attr-defined]
        driver.add_query_logger(lambda record: sent.append(record.query.strip()))

    return sent


async def test_a_connection_idle_for_a_while_is_pinged_once_and_a_busy_one_not_at_all(
    pg_url: str,
) -> None:
    engine = create_engine(pg_url, pool_size=1, ping_idle_seconds=0.5)
    sent = _log_queries(engine)
    try:
        await _backend_pids(engine, 1)  # opens the pooled connection: no ping needed
        assert ";" not in sent
        sent.clear()
        async with engine.begin() as conn:  # used a moment ago: no ping
            await conn.execute(text("SELECT 1"))
        assert sent == ["BEGIN;", "COMMIT;"]
        sent.clear()
        await asyncio.sleep(0.6)
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
        # One round trip; pool_pre_ping would send BEGIN; ; ROLLBACK; on every checkout.
        assert sent == [";", "BEGIN;", "COMMIT;"]
    finally:
        await engine.dispose()


async def test_connections_killed_while_idle_are_replaced_without_an_error(pg_url: str) -> None:
    engine = create_engine(pg_url, pool_size=3, ping_idle_seconds=0.2)
    try:
        before = await _backend_pids(engine, 3)
        await _terminate(before)
        await asyncio.sleep(0.3)
        after = await _backend_pids(engine, 3)  # would raise if a dead one were handed out
        assert len(after) == 3
        assert not before & after
    finally:
        await engine.dispose()


async def test_connections_killed_while_busy_cost_one_failed_transaction_then_all_are_replaced(
    pg_url: str,
) -> None:
    """Not pinged (used a moment ago), the first dead connection fails the transaction on it
    (the caller's "send it again"), and the pool drops every connection as old as it."""
    engine = create_engine(pg_url, pool_size=3)
    try:
        before = await _backend_pids(engine, 3)
        await _terminate(before)
        with pytest.raises(DBAPIError) as failed:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        after = await _backend_pids(engine, 3)
        assert len(after) == 3
        assert not before & after
    finally:
        await engine.dispose()
