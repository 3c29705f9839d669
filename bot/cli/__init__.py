"""The `dars` command: database, problem banks, running the bot, and the local console.

Operator output is English. Mistakes an operator can be expected to make (a bad date, a
bad setting, a database that is missing, behind or unreachable) end in one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from bot.cli.commands import (
    DATABASE_HELP,
    DAY_FORMAT,
    PROGRESS_FROM,
    CliError,
    _schema_problem,
    cmd_console,
    cmd_cost_report,
    cmd_db_downgrade,
    cmd_db_upgrade,
    cmd_problems_load,
    cmd_problems_tool,
    cmd_problems_validate,
    cmd_run,
    cmd_stats,
    cmd_teachers_add,
    cmd_teachers_list,
    cmd_teachers_remove,
    cmd_version,
    parse_day,
)
from bot.config import (
    JsonFormatter,
    RedactingFormatter,
    configure_logging,
    describe_database,
    load_settings,
)

__all__ = ["PROGRESS_FROM", "build_parser", "cmd_problems_load", "main", "parse_day"]


def _paragraphs(text: str) -> str:
    """Wrapped to 79 columns, paragraph breaks kept (for the raw description formatter)."""
    return "\n\n".join(textwrap.fill(part, 79) for part in text.split("\n\n"))


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _command(
    sub: Any, name: str, help_text: str, *, database: bool = False, **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand whose --help page has a description (and where its database comes from)."""
    description = help_text[0].upper() + help_text[1:] + "."
    if database:
        description += "\n\n" + DATABASE_HELP
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=_paragraphs(description),
        formatter_class=_formatter,
        **kwargs,
    )
    parser.set_defaults(database=database)
    return parser


def _telegram_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Telegram user id (digits only)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dars",
        description=_paragraphs(
            "Dars, a Telegram maths tutor. Settings come from environment variables or a .env "
            "file in the current folder (see README.md).\n\n" + DATABASE_HELP
        ),
        formatter_class=_formatter,
    )
    parser.set_defaults(database=False, needs_tables=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, "version", "print the version").set_defaults(func=cmd_version)

    db = _command(sub, "db", "database migrations", database=True).add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    up = _command(db, "upgrade", "apply migrations (default: to head)", database=True)
    up.add_argument(
        "revision", nargs="?", default="head", help="migration to go to (default: head)"
    )
    up.set_defaults(func=cmd_db_upgrade)
    down = _command(db, "downgrade", "revert migrations", database=True)
    down.add_argument("revision", help="migration to go back to: -1 (one step), base, or an id")
    down.set_defaults(func=cmd_db_downgrade)

    problems = _command(sub, "problems", "problem banks").add_subparsers(
        dest="problems_command", required=True, metavar="ACTION"
    )
    validate = _command(problems, "validate", "check bank files without touching the database")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="bank file or folder")
    validate.set_defaults(func=cmd_problems_validate)
    load = _command(problems, "load", "load bank files into the database", database=True)
    load.add_argument("paths", nargs="+", metavar="PATH", help="bank file or folder")
    load.add_argument("--dry-run", action="store_true", help="report what would change")
    load.add_argument("--json", action="store_true", help="print the counts as JSON")
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

    run = _command(sub, "run", "run the bot (long polling, or --webhook)", database=True)
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on WEBHOOK_URL (needs WEBHOOK_SECRET) instead of polling",
    )
    run.set_defaults(func=cmd_run)

    teachers = _command(sub, "teachers", "list, add and remove teachers").add_subparsers(
        dest="teachers_command", required=True, metavar="ACTION"
    )
    add = _command(teachers, "add", "register a teacher by Telegram user id", database=True)
    add.add_argument("telegram_id", type=_telegram_id, help="the teacher's Telegram user id")
    add.set_defaults(func=cmd_teachers_add, needs_tables=True)
    listing = _command(
        teachers, "list", "every teacher with their classes and students", database=True
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=cmd_teachers_list, needs_tables=True)
    remove = _command(
        teachers,
        "remove",
        "remove a teacher (refused while they have classes, unless --force)",
        database=True,
    )
    remove.add_argument("telegram_id", type=_telegram_id, help="the teacher's Telegram user id")
    remove.add_argument(
        "--force",
        action="store_true",
        help="also delete their classes, memberships and join links (the students stay)",
    )
    remove.set_defaults(func=cmd_teachers_remove, needs_tables=True)

    stats = _command(sub, "stats", "usage numbers (the same as /stats)", database=True)
    stats.add_argument("--json", action="store_true", help="print the numbers as JSON")
    stats.set_defaults(func=cmd_stats, needs_tables=True)

    cost = _command(sub, "cost", "language model costs").add_subparsers(
        dest="cost_command", required=True, metavar="ACTION"
    )
    report = _command(cost, "report", "calls, tokens and USD, with totals", database=True)
    report.add_argument(
        "--since",
        type=parse_day,
        metavar="DAY",
        help=f"first day, inclusive (default: 30 days before --until). DAY: {DAY_FORMAT}",
    )
    report.add_argument(
        "--until",
        type=parse_day,
        metavar="DAY",
        help="the day after the last one, exclusive (default: tomorrow)",
    )
    report.add_argument(
        "--by",
        choices=["day", "operation", "model", "student"],
        default="day",
        help="one row per day (default), operation, model or student",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(func=cmd_cost_report, needs_tables=True)

    console = _command(
        sub,
        "console",
        "chat with the tutor in this terminal (no Telegram account needed)",
        database=True,
    )
    console.add_argument(
        "--script",
        metavar="FILE",
        help="read the chat from this file (one message per line) instead of the keyboard",
    )
    console.add_argument(
        "--user",
        type=int,
        default=1,
        choices=range(1, 10),
        metavar="N",
        help="which console person you are, 1-9 (default 1): a second one can be a parent "
        "or a teacher; each has its own chat",
    )
    console.add_argument(
        "--lang",
        choices=["en", "bn"],
        help="the language of this person's Telegram app (default: en); bn starts in Bengali",
    )
    console.add_argument(
        "--fresh",
        action="store_true",
        help="start this console person over: delete their student, parent and teacher "
        "data first (other people in the database are kept)",
    )
    console.set_defaults(func=cmd_console)
    return parser


def _say(message: str, *, level: int = logging.INFO) -> None:
    """One line for the operator on stderr: ``dars: …``, or a JSON log record when
    LOG_FORMAT=json (log collectors expect every line of stderr to be one)."""
    root = logging.getLogger()
    if any(
        isinstance(h.formatter, RedactingFormatter)
        and isinstance(h.formatter.inner, JsonFormatter)
        for h in root.handlers
    ):
        logging.getLogger("bot.cli").log(level, "%s", message)
    else:
        print(f"dars: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    _say(message, level=logging.ERROR)
    return 2


def _database_error(exc: BaseException) -> str | None:
    """One line for an unreachable or unusable database, None for other errors."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    cause: BaseException | None = exc
    while cause is not None:
        if type(cause).__module__.startswith(("telegram", "aiohttp")):
            return None  # the Bot API, not the database
        if isinstance(cause, OperationalError | InterfaceError) or (
            isinstance(cause, DBAPIError) and "does not exist" in str(cause)
        ):
            reason = str(getattr(cause, "orig", None) or cause).splitlines()[0]
            return f"cannot use the database: {reason}"
        if isinstance(cause, BrokenPipeError):
            return None
        if isinstance(cause, OSError | TimeoutError):
            return f"cannot reach the database: {cause.strerror or cause or type(cause).__name__}"
        if type(cause).__module__.startswith("asyncpg"):
            return f"cannot use the database: {str(cause).splitlines()[0]}"
        cause = cause.__cause__ or cause.__context__
    return None


def _exit_now(code: int) -> None:
    """End the console process now that the chat is over and everything is closed: tearing
    down the interpreter's ~200,000 objects (SymPy, the bank) took 1-3 s after Ctrl-C or /quit,
    which reads as a hang. Only for the real `dars console` process (tests pass ``argv``)."""
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dars` console script."""
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    try:
        if args.database:
            _say(f"database: {describe_database(settings.database_url)}")
        if getattr(args, "needs_tables", False):
            problem = _schema_problem(settings)
            if problem:
                return _fail(problem)
        code = int(args.func(args, settings))
        if argv is None and args.command == "console":
            _exit_now(code)
        return code
    except CliError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dars … | head`: the reader has gone, which is fine
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:  # `dars run`: the health/metrics or webhook port
            return _fail(
                f"cannot listen: {exc.strerror} (another process has METRICS_PORT or "
                "WEBHOOK_PORT: give this one another port, or METRICS_PORT=0)"
            )
        message = _database_error(exc) if args.database and args.command != "run" else None
        if message is None:
            raise
        return _fail(message + " (check DATABASE_URL)")
    except Exception as exc:
        # `dars run` waited for its database at start-up; what fails later is not that.
        message = _database_error(exc) if args.database and args.command != "run" else None
        if message is None:
            raise
        return _fail(message + " (check DATABASE_URL)")
