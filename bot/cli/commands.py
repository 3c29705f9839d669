"""What each `dars` command does (the parser and the error handling are in ``bot.cli``).

Operator output is English: tables with rich, ``--json`` with stable keys."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.config import Settings

if TYPE_CHECKING:
    from rich.table import Table

    from bot.services.banks import LoadSummary
    from bot.services.costs import CostReport
    from bot.services.deps import Deps
    from problems.bank import ParsedBanks

T = TypeVar("T")

DATABASE_HELP = (
    "The database is DATABASE_URL, read from the environment or a .env file in the current "
    "folder (default: an SQLite file in $XDG_DATA_HOME/dars, else ~/.local/share/dars). "
    "Every command that uses it names it on stderr."
)
# A load shows a progress bar (on a terminal) from this many problems on.
PROGRESS_FROM = 200


class CliError(Exception):
    """An expected mistake: its message is printed as one line, exit status 2."""


def _version() -> str:
    try:
        return version("dars")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _print_table(table: Table, title: str | None = None) -> None:
    """The title as a line of its own (rich would wrap it to the table's width), then the
    table."""
    from rich.console import Console

    if title:
        print(title)
    # Wide enough for the cost report's eight columns when piped (rich uses 80 off a TTY).
    Console(width=None if sys.stdout.isatty() else 120).print(table)


def _table(*columns: str, left: int = 1) -> Table:
    """A table whose first ``left`` columns are text (left-aligned), the rest numbers."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAVY)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right", no_wrap=True)
    return table


def cmd_version(_args: argparse.Namespace, _settings: Settings) -> int:
    print(f"dars {_version()}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from db import migrate

    migrate.upgrade(settings.database_url, args.revision)
    print(f"database is at {_revision_now(settings)}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from db import migrate

    migrate.downgrade(settings.database_url, args.revision)
    print(f"database is at {_revision_now(settings)}")
    return 0


def _revision_now(settings: Settings) -> str:
    """The revision the database is at now (``db downgrade -1`` printed "at -1")."""
    from db import migrate
    from db.engine import create_engine

    async def current() -> str | None:
        engine = create_engine(settings.database_url)
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(current()) or "base (no tables)"


def _print_errors(errors: Sequence[object]) -> None:
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{len(errors)} error(s); nothing was written", file=sys.stderr)


def _print_warnings(parsed: ParsedBanks) -> None:
    for warning in parsed.warnings:
        print(warning, file=sys.stderr)


def cmd_problems_validate(args: argparse.Namespace, _settings: Settings) -> int:
    from problems.bank import parse_banks

    parsed = parse_banks(args.paths)
    _print_warnings(parsed)
    if parsed.errors:
        _print_errors(parsed.errors)
        return 1
    print(f"{len(parsed.problems)} problems in {len(parsed.files)} file(s) are valid")
    return 0


def cmd_problems_tool(args: argparse.Namespace, _settings: Settings) -> int:
    """``stats``, ``preview`` and ``check``: the bank tools of problems/ (no database)."""
    if args.tool == "check":
        from problems.explain import main as check_main

        return check_main(args.rest)
    from problems.stats import main as stats_main

    return stats_main([args.tool, *args.rest])


def cmd_problems_load(args: argparse.Namespace, settings: Settings) -> int:
    from problems.bank import parse_banks

    parsed = parse_banks(args.paths)
    _print_warnings(parsed)
    if parsed.errors:
        _print_errors(parsed.errors)
        return 1
    # The bank is checked first: its mistakes are reported even without a database.
    problem = _schema_problem(settings)
    if problem:
        raise CliError(problem)
    show = not args.json and sys.stderr.isatty() and len(parsed.problems) >= PROGRESS_FROM
    summary = asyncio.run(_load(settings, parsed, dry_run=args.dry_run, show_progress=show))
    counts = {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "retired": summary.retired,
    }
    if args.json:
        _print_json(
            {
                "dry_run": args.dry_run,
                "problems": len(parsed.problems),
                "files": len(parsed.files),
                **counts,
            }
        )
        return 0
    title = "dry run: nothing written" if args.dry_run else "loaded"
    table = _table("problems", "count")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    _print_table(table, f"{title} ({len(parsed.problems)} problems, {len(parsed.files)} file(s))")
    return 0


@contextmanager
def _progress_bar(show: bool, description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (a terminal only); yields ``progress(done, total)``."""
    if not show:
        yield lambda _done, _total: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


async def _load(
    settings: Settings, parsed: ParsedBanks, *, dry_run: bool, show_progress: bool = False
) -> LoadSummary:
    from bot.services.banks import load_banks
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        with _progress_bar(show_progress, "loading problems") as progress:
            return await load_banks(
                create_sessionmaker(engine), parsed, dry_run=dry_run, progress=progress
            )
    finally:
        await engine.dispose()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serving.runner import run_polling, run_webhook

    return run_webhook(settings) if args.webhook else run_polling(settings)


def cmd_teachers_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.classes import CLI_ACTOR, add_teacher

    async def add(deps: Deps) -> bool:
        return await add_teacher(
            deps, telegram_id=args.telegram_id, actor_telegram_id=CLI_ACTOR, via="cli"
        )

    created = asyncio.run(_with_deps(settings, add))
    print(f"{args.telegram_id} {'is now a teacher' if created else 'already was a teacher'}")
    return 0


def cmd_teachers_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.classes import list_teachers

    teachers = asyncio.run(_with_deps(settings, list_teachers))
    if args.json:
        _print_json(
            {
                "teachers": [
                    {
                        "telegram_id": t.telegram_id,
                        "language": t.language,
                        "classes": t.classes,
                        "students": t.students,
                        "added_at": t.added_at,
                    }
                    for t in teachers
                ]
            }
        )
        return 0
    if not teachers:
        print("no teachers yet (add one with `dars teachers add TELEGRAM_ID`)")
        return 0
    table = _table("telegram id", "language", "added (UTC)", "classes", "students", left=3)
    for t in teachers:
        table.add_row(
            str(t.telegram_id),
            t.language,
            f"{t.added_at:%Y-%m-%d}",
            f"{t.classes:,}",
            f"{t.students:,}",
        )
    _print_table(table)
    return 0


def cmd_teachers_remove(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.classes import CLI_ACTOR, TeacherRemoval, remove_teacher

    async def remove(deps: Deps) -> TeacherRemoval:
        return await remove_teacher(
            deps,
            telegram_id=args.telegram_id,
            force=args.force,
            actor_telegram_id=CLI_ACTOR,
            via="cli",
        )

    result = asyncio.run(_with_deps(settings, remove))
    tid = args.telegram_id
    if result.kind == "not_teacher":
        print(f"dars: {tid} is not a teacher; nothing removed", file=sys.stderr)
        return 1
    if result.kind == "has_classes":
        print(
            f"dars: {tid} has {result.classes} class(es) with {result.students} student(s); "
            "nothing removed. Add --force to remove the teacher with their classes (the "
            "students keep their accounts and progress)",
            file=sys.stderr,
        )
        return 1
    gone = f" and {result.classes} class(es)" if result.classes else ""
    print(f"{tid} is no longer a teacher (removed the teacher{gone})")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.stats import collect_stats

    numbers = asyncio.run(_with_deps(settings, collect_stats))
    if args.json:
        _print_json({**dataclasses.asdict(numbers), "accuracy_percent": numbers.accuracy})
        return 0
    accuracy = "n/a" if numbers.accuracy is None else f"{numbers.accuracy}%"
    table = _table("", "number")
    for name, value in (
        ("students", f"{numbers.students:,}"),
        ("parents", f"{numbers.parents:,}"),
        ("teachers", f"{numbers.teachers:,}"),
        ("active today", f"{numbers.active_today:,}"),
        ("active this week", f"{numbers.active_week:,}"),
        ("sessions completed", f"{numbers.sessions_completed:,}"),
        ("  of them today", f"{numbers.sessions_completed_today:,}"),
        ("answers", f"{numbers.answers:,}"),
        ("accuracy", accuracy),
        ("reminders sent", f"{numbers.reminders_sent:,}"),
        ("  of them today", f"{numbers.reminders_sent_today:,}"),
        ("model cost today (UTC)", f"${numbers.llm_cost_today:.4f}"),
    ):
        table.add_row(name, value)
    _print_table(table, "Dars usage")
    return 0


async def _with_deps(settings: Settings, use: Callable[[Deps], Awaitable[T]]) -> T:
    """Run one use case with its own engine, closed again afterwards."""
    from bot.services.deps import Deps
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        return await use(Deps(db=create_sessionmaker(engine), settings=settings))
    finally:
        await engine.dispose()


DAY_FORMAT = "YYYY-MM-DD, today, yesterday, tomorrow or N days ago (e.g. 7d); UTC"
_DAYS_AGO = re.compile(r"(\d{1,4})\s*(?:d|days?(?:\s+ago)?)")


def parse_day(text: str, *, today: dt.date | None = None) -> dt.date:
    """A day on the command line: an ISO date or a word (``today``, ``yesterday``, ``7d``)."""
    today = today or dt.datetime.now(dt.UTC).date()
    word = text.strip().lower()
    named = {"today": 0, "yesterday": 1, "tomorrow": -1}
    if word in named:
        return today - dt.timedelta(days=named[word])
    ago = _DAYS_AGO.fullmatch(word)
    if ago:
        return today - dt.timedelta(days=int(ago.group(1)))
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: use {DAY_FORMAT}") from None


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def cmd_cost_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.costs import cost_report

    today = dt.datetime.now(dt.UTC).date()
    until = _utc_midnight(args.until or today + dt.timedelta(days=1))
    since = _utc_midnight(args.since) if args.since else until - dt.timedelta(days=30)
    if since >= until:
        raise CliError(f"--since ({since:%Y-%m-%d}) must be before --until ({until:%Y-%m-%d})")

    async def report(deps: Deps) -> CostReport:
        return await cost_report(deps.db, since=since, until=until, by=args.by)

    result = asyncio.run(_with_deps(settings, report))
    if args.json:
        _print_json(_cost_json(result))
        return 0
    _print_cost_table(result)
    return 0


def _cost_row_json(row: Any) -> dict[str, object]:
    return {
        "key": row.key,
        "calls": row.calls,
        "failed": row.failed,
        "refused": row.refused,
        "prompt_tokens": row.prompt_tokens,
        "cached_tokens": row.cached_tokens,
        "completion_tokens": row.completion_tokens,
        "cost_usd": row.cost_usd,
    }


def _cost_json(report: CostReport) -> dict[str, object]:
    return {
        "by": report.by,
        "since": report.since,
        "until": report.until,
        "rows": [_cost_row_json(row) for row in report.rows],
        "total": _cost_row_json(report.total),
        "active_students": report.active_students,
        "solved_problems": report.solved_problems,
        "cost_per_active_student_usd": report.cost_per_active_student,
        "cost_per_solved_problem_usd": report.cost_per_solved_problem,
    }


def _usd(value: Decimal | None) -> str:
    return "n/a" if value is None else f"${value:.4f}"


def _print_cost_table(report: CostReport) -> None:
    assert report.since is not None and report.until is not None
    table = _table(
        report.by,
        *("calls", "failed", "refused", "prompt", "cached", "completion", "cost"),
    )
    for row in [*report.rows, report.total]:
        table.add_row(
            row.key,
            *(
                f"{n:,}"
                for n in (
                    row.calls,
                    row.failed,
                    row.refused,
                    row.prompt_tokens,
                    row.cached_tokens,
                    row.completion_tokens,
                )
            ),
            _usd(row.cost_usd),
            end_section=row is report.rows[-1] if report.rows else False,
        )
    if not report.rows:
        table.caption = "(no model calls in this period)"
    _print_table(
        table,
        f"Model costs by {report.by}, {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d} "
        "(UTC, end exclusive)",
    )
    print(
        f"Active students: {report.active_students:,}; "
        f"cost per active student: {_usd(report.cost_per_active_student)}"
    )
    print(
        f"Solved problems: {report.solved_problems:,}; "
        f"cost per solved problem: {_usd(report.cost_per_solved_problem)}"
    )


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    if args.script is not None and not Path(args.script).is_file():
        raise CliError(f"--script {args.script}: no such file")
    return run_console(
        settings, script=args.script, user=args.user, lang=args.lang, fresh=args.fresh
    )


def _schema_problem(settings: Settings) -> str | None:
    """None when the tables are there and current, else one line saying what to do."""
    from sqlalchemy.engine import make_url

    from bot.serving.runner import check_schema
    from db.engine import is_sqlite

    if is_sqlite(settings.database_url):
        database = make_url(settings.database_url).database
        if database and database != ":memory:" and not Path(database).exists():
            return f"there is no database at {database} yet; run `dars db upgrade` to create it"
    return asyncio.run(check_schema(settings.database_url))
