"""The graded-answer hot path stays lean: on PostgreSQL two SQL statements and no
transaction (no BEGIN or COMMIT round trip), the topic's mastery update and the finished
day's streak included (they ride in the answer's own write).

SQLite has no writable CTEs, so there they are more statements in one transaction; SQLite
runs in the bot's process, so they are no extra network round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.services import practice
from bot.services.deps import Deps
from tests.helpers import next_update_id, onboard, right_answer, wrong_answer

TID = 5550777


@contextmanager
def counted_statements(deps: Deps) -> Iterator[list[str]]:
    """The statements sent, by verb, with "BEGIN" for each transaction really begun (a
    connection in autocommit begins none)."""
    engine = deps.db.kw["bind"].sync_engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    def begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            statements.append("BEGIN")

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "begin", begin)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "begin", begin)


async def test_a_graded_answer_costs_at_most_three_statements(deps: Deps, loaded_bank) -> None:
    limit = 3 if deps.db.kw["bind"].dialect.name == "postgresql" else 5
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    assert view is not None
    with counted_statements(deps) as statements:
        outcome = await practice.submit_answer(
            deps, telegram_id=TID, answer=wrong_answer(view.card), update_id=next_update_id()
        )
    assert outcome.kind == "retry"
    assert len(statements) <= limit, statements
    with counted_statements(deps) as statements:
        outcome = await practice.submit_answer(
            deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
        )
    assert outcome.kind == "correct" and outcome.next_problem is not None
    assert len(statements) <= limit, statements


async def test_after_warming_new_variants_cost_no_query(deps: Deps, loaded_bank) -> None:
    """A process that has read the bank at start-up (``ProblemCache.warm``) makes any new
    variant of a template from memory: a session started by another process (or before a
    restart) costs its first answer no extra query."""
    from bot.services.cards import ProblemCache

    cache = ProblemCache()
    async with deps.db() as session:
        count = await cache.warm(session)
        assert count > 500
        template_ids = [
            pid for pid, (_at, source) in cache._sources.items() if source.spec is not None
        ][:20]
        with counted_statements(deps) as statements:
            cards = await cache.get_many(session, [(pid, 7) for pid in template_ids])
        assert statements == []
        assert len(cards) == 20
        # Seed 7 and seed 8 of a template are different problems, both made without a query.
        with counted_statements(deps) as statements:
            other = await cache.get(session, (template_ids[0], 8))
        assert statements == []
        assert other.seed == 8 and cards[(template_ids[0], 7)].seed == 7


async def test_an_unknown_problem_is_read_once_then_kept(deps: Deps, loaded_bank) -> None:
    from bot.services.cards import ProblemCache

    cache = ProblemCache()
    async with deps.db() as session:
        await cache.warm(session)
        pid = next(iter(cache._sources))
        cache.clear()
        with counted_statements(deps) as statements:
            await cache.get(session, (pid, 1))
        assert 1 <= len(statements) <= 2  # the problem and the topic names
        with counted_statements(deps) as statements:
            await cache.get(session, (pid, 2))
        assert statements == []


async def test_every_answer_of_a_session_is_one_read_and_one_write(
    deps: Deps, loaded_bank
) -> None:
    """Including the last, which also saves the day's streak: on PostgreSQL a SELECT and one
    write statement, with no transaction around them."""
    postgres = deps.db.kw["bind"].dialect.name == "postgresql"
    await onboard(deps, TID)
    view = (await practice.start_practice(deps, telegram_id=TID)).problem
    seen: list[list[str]] = []
    while view is not None:
        with counted_statements(deps) as statements:
            outcome = await practice.submit_answer(
                deps, telegram_id=TID, answer=right_answer(view.card), update_id=next_update_id()
            )
        assert outcome.kind == "correct"
        seen.append(statements)
        view = outcome.next_problem
    assert outcome.summary is not None and outcome.summary.streak_current == 1
    assert len(seen) == 5
    for statements in seen:
        if postgres:
            assert statements == ["SELECT", "WITH"], statements
        else:
            # One transaction: the read, the step, the Response, mastery (and the streak).
            assert statements[0] == "BEGIN" and statements.count("BEGIN") == 1, statements
            assert len(statements) <= 6, statements
