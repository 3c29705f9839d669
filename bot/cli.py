"""The `dars` command: database, problem banks, running the bot, and the local console."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, TypeVar

from bot.config import Settings, configure_logging, load_settings

if TYPE_CHECKING:
    from bot.services.banks import LoadSummary
    from bot.services.deps import Deps
    from problems.bank import ParsedBanks

T = TypeVar("T")


def _version() -> str:
    try:
        return version("dars")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


def cmd_version(_args: argparse.Namespace, _settings: Settings) -> int:
    print(f"dars {_version()}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from db import migrate

    migrate.upgrade(settings.database_url, args.revision)
    print(f"database is at {args.revision}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from db import migrate

    migrate.downgrade(settings.database_url, args.revision)
    print(f"database is at {args.revision}")
    return 0


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
    summary = asyncio.run(_load(settings, parsed, dry_run=args.dry_run))
    rows = [
        ("created", summary.created),
        ("updated", summary.updated),
        ("unchanged", summary.unchanged),
        ("retired", summary.retired),
    ]
    title = "dry run: nothing written" if args.dry_run else "loaded"
    print(f"{title} ({len(parsed.problems)} problems, {len(parsed.files)} file(s))")
    for name, count in rows:
        print(f"  {name:<10} {count:>7}")
    return 0


async def _load(settings: Settings, parsed: ParsedBanks, *, dry_run: bool) -> LoadSummary:
    from bot.services.banks import load_banks
    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    show = sys.stderr.isatty() and len(parsed.problems) >= 500

    def progress(done: int, total: int) -> None:
        if show and total:
            width = 30
            filled = width * done // total
            print(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                end="",
                file=sys.stderr,
            )
            if done == total:
                print(file=sys.stderr)

    try:
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


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bot.messages import stats_text
    from bot.services.stats import collect_stats

    numbers = asyncio.run(_with_deps(settings, collect_stats))
    print(stats_text(numbers, "en"))
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


def _utc_midnight(text: str) -> dt.datetime:
    """A YYYY-MM-DD argument as midnight UTC."""
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)


def cmd_cost_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.costs import cost_report, format_report

    today = dt.datetime.now(dt.UTC).date()
    until = (
        _utc_midnight(args.until)
        if args.until
        else _utc_midnight(str(today)) + dt.timedelta(days=1)
    )
    since = _utc_midnight(args.since) if args.since else until - dt.timedelta(days=30)

    async def report(deps: Deps) -> str:
        return format_report(await cost_report(deps.db, since=since, until=until, by=args.by))

    print(asyncio.run(_with_deps(settings, report)))
    return 0


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    return run_console(settings, script=args.script)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dars", description="Dars, a Telegram maths tutor")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("version", help="print the version").set_defaults(func=cmd_version)

    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True
    )
    up = db.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    down = db.add_parser("downgrade", help="revert migrations to REVISION (e.g. -1, base)")
    down.add_argument("revision")
    down.set_defaults(func=cmd_db_downgrade)

    problems = sub.add_parser("problems", help="problem banks").add_subparsers(
        dest="problems_command", required=True
    )
    validate = problems.add_parser("validate", help="check bank files without touching the DB")
    validate.add_argument("paths", nargs="+")
    validate.set_defaults(func=cmd_problems_validate)
    load = problems.add_parser("load", help="load bank files into the database")
    load.add_argument("paths", nargs="+")
    load.add_argument("--dry-run", action="store_true", help="report what would change")
    load.set_defaults(func=cmd_problems_load)
    for tool, description in (
        ("stats", "PATH... [--json]: items, templates and distinct problems per class and topic"),
        ("preview", "PATH... --id ID [--count N] [--seed S] [--lang en|bn]: print variants"),
        (
            "check",
            "PATH... --id ID [--lang en|bn] [--seed S] ANSWER... (or --jsonl): how answers "
            "are graded, and why",
        ),
    ):
        command = problems.add_parser(tool, help=description, add_help=False)
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(func=cmd_problems_tool, tool=tool)

    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on WEBHOOK_URL (needs WEBHOOK_SECRET) instead of polling",
    )
    run.set_defaults(func=cmd_run)

    teachers = sub.add_parser("teachers", help="teachers").add_subparsers(
        dest="teachers_command", required=True
    )
    add = teachers.add_parser("add", help="register a teacher by Telegram user id")
    add.add_argument("telegram_id", type=int)
    add.set_defaults(func=cmd_teachers_add)

    sub.add_parser("stats", help="usage numbers (the same as /stats)").set_defaults(func=cmd_stats)

    cost = sub.add_parser("cost", help="language model costs").add_subparsers(
        dest="cost_command", required=True
    )
    report = cost.add_parser("report", help="calls, tokens and USD, with totals")
    report.add_argument("--since", help="YYYY-MM-DD (UTC, inclusive; default: 30 days ago)")
    report.add_argument("--until", help="YYYY-MM-DD (UTC, exclusive; default: tomorrow)")
    report.add_argument("--by", choices=["day", "operation", "model", "student"], default="day")
    report.set_defaults(func=cmd_cost_report)

    console = sub.add_parser("console", help="chat with the tutor in this terminal")
    console.add_argument(
        "--script", help="read the chat from this file (one message per line) instead of stdin"
    )
    console.set_defaults(func=cmd_console)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dars` console script."""
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    return int(args.func(args, settings))


if __name__ == "__main__":
    sys.exit(main())
