"""The operator's `dars` command: one line for expected mistakes, the database it uses,
tables and JSON, --help everywhere, teachers, and `dars run` waiting for what it needs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import build_parser, main, parse_day
from bot.config import Settings
from bot.services.deps import Deps
from bot.serving.runner import backoff_delays, wait_for_services
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from db.migrate import head_revision
from tests.bot.test_operator_e2e import _teacher_with_class, seed_costs
from tests.conftest import FakeClock

SMALL_BANK = Path(__file__).resolve().parents[1] / "services" / "llm_bank.yaml"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder of its own (no .env) and no settings from the caller's environment."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in ("DATABASE_URL", "PROBLEMS_PER_SESSION", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return work


@pytest.fixture
def sqlite_db(cli_env: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database as DATABASE_URL."""
    path = cli_env.parent / "dars.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_the_default_database_is_the_same_whatever_the_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    database = home / ".local" / "share" / "dars" / "dars.sqlite3"
    said = f"dars: database: SQLite file {database}"
    outputs = []
    for folder, argv in (
        ("a", ["db", "upgrade"]),
        ("b", ["teachers", "add", "5"]),
        ("c", ["teachers", "list", "--json"]),
    ):
        (tmp_path / folder).mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            cwd=tmp_path / folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines()[0] == said
        outputs.append(result.stdout)
        assert list((tmp_path / folder).iterdir()) == []  # no dars-data/ made here
    assert [t["telegram_id"] for t in json.loads(outputs[2])["teachers"]] == [5]
    # $XDG_DATA_HOME wins when it is set.
    xdg = tmp_path / "xdg"
    result = subprocess.run(
        [sys.executable, "-c", "from bot.config import Settings; print(Settings().database_url)"],
        cwd=tmp_path / "a",
        env={**env, "XDG_DATA_HOME": str(xdg)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"sqlite+aiosqlite:///{xdg / 'dars' / 'dars.sqlite3'}"


def test_a_missing_or_old_database_says_run_db_upgrade(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cli_env.parent / "nothing-here" / "dars.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    for argv in (
        ["stats"],
        ["cost", "report"],
        ["teachers", "list"],
        ["teachers", "add", "5"],
        ["teachers", "remove", "5"],
        ["problems", "load", str(SMALL_BANK)],
    ):
        assert main(argv) == 2, argv
        assert _err_lines(capsys) == [
            f"dars: database: SQLite file {path}",
            f"dars: there is no database at {path} yet; run `dars db upgrade` to create it",
        ]
    assert not path.parent.exists()  # looking made nothing
    assert main(["db", "upgrade", "0007"]) == 0
    assert capsys.readouterr().out == "database is at 0007\n"
    assert main(["stats"]) == 2
    last = _err_lines(capsys)[-1]
    assert last.startswith("dars: The database is at migration 0007, but this version")
    assert last.endswith("Run `dars db upgrade` first.")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "downgrade", "-1"]) == 0
    head = head_revision()
    assert head is not None
    before_head = f"{int(head) - 1:04d}"  # revisions are numbered 0001, 0002, …
    assert capsys.readouterr().out.splitlines() == [
        f"database is at {head}",
        f"database is at {before_head}",
    ]


def test_an_empty_postgresql_database_says_run_db_upgrade(
    cli_env: Path,
    fresh_pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url)
    assert main(["teachers", "list"]) == 2
    err = _err_lines(capsys)
    assert err[0] == f"dars: database: {fresh_pg_url}"
    assert err[1:] == [
        "dars: The database is at migration none (empty), but this version of Dars needs "
        f"{head_revision()}. Run `dars db upgrade` first."
    ]


def test_an_unreachable_database_is_one_line_with_the_password_masked(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://dars:s3cret@127.0.0.1:{port}/dars")
    assert main(["stats"]) == 2
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert err[0] == f"dars: database: postgresql+asyncpg://dars:***@127.0.0.1:{port}/dars"
    assert len(err) == 2
    assert err[1].startswith("dars: cannot reach the database: ")
    assert err[1].endswith("(check DATABASE_URL)")
    assert "s3cret" not in captured.err + captured.out


def test_bad_settings_dates_and_ids_are_one_line(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROBLEMS_PER_SESSION", "50")
    with pytest.raises(SystemExit) as exited:
        main(["stats"])
    assert exited.value.code == (
        "dars: bad setting PROBLEMS_PER_SESSION: Input should be less than or equal to 20"
    )
    monkeypatch.delenv("PROBLEMS_PER_SESSION")
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/dars")
    with pytest.raises(SystemExit) as exited:
        main(["stats"])
    assert exited.value.code == (
        "dars: bad setting DATABASE_URL: must be sqlite+aiosqlite:///PATH or "
        "postgresql+asyncpg://USER:PASSWORD@HOST/DB (got the driver 'mysql')"
    )
    monkeypatch.setenv("DATABASE_URL", sqlite_db)
    for argv, message in (
        (
            ["cost", "report", "--since", "2026-13-01"],
            "dars cost report: error: argument --since: '2026-13-01' is not a day: use "
            "YYYY-MM-DD, today, yesterday, tomorrow or N days ago (e.g. 7d); UTC",
        ),
        (
            ["teachers", "remove", "someone"],
            "dars teachers remove: error: argument telegram_id: 'someone' is not a Telegram "
            "user id (digits only)",
        ),
    ):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert _err_lines(capsys)[-1] == message
    assert main(["cost", "report", "--since", "today", "--until", "yesterday"]) == 2
    assert "must be before --until" in _err_lines(capsys)[-1]
    assert main(["console", "--script", "no-such-chat.txt"]) == 2
    assert _err_lines(capsys)[-1] == "dars: --script no-such-chat.txt: no such file"


def test_days_in_words() -> None:
    today = dt.date(2026, 3, 10)
    assert parse_day("today", today=today) == today
    assert parse_day("Yesterday", today=today) == dt.date(2026, 3, 9)
    assert parse_day("tomorrow", today=today) == dt.date(2026, 3, 11)
    assert parse_day("7d", today=today) == dt.date(2026, 3, 3)
    assert parse_day("30 days ago", today=today) == dt.date(2026, 2, 8)
    assert parse_day("2026-02-28", today=today) == dt.date(2026, 2, 28)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_day("last week", today=today)


def _right_aligned(lines: list[str]) -> bool:
    """Whether the table's rows all end in the same column (numbers right-aligned)."""
    return len({len(line.rstrip()) for line in lines}) == 1


def test_load_cost_report_and_stats_print_tables_and_json(
    sqlite_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["problems", "load", str(SMALL_BANK), "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert loaded == {
        "dry_run": False,
        "problems": 3,
        "files": 1,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert main(["problems", "load", str(SMALL_BANK), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("dry run: nothing written (3 problems, 1 file(s))")
    rows = [line for line in out if line.strip().split(" ")[0] in ("created", "unchanged")]
    assert [line.split() for line in rows] == [["created", "0"], ["unchanged", "3"]]
    assert _right_aligned(rows)

    asyncio.run(seed_costs(sqlite_db))
    argv = ["cost", "report", "--since", "2026-03-01", "--until", "2026-03-03"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "by",
        "since",
        "until",
        "rows",
        "total",
        "active_students",
        "solved_problems",
        "cost_per_active_student_usd",
        "cost_per_solved_problem_usd",
    }
    assert [row["key"] for row in report["rows"]] == ["2026-03-01", "2026-03-02"]
    assert Decimal(report["total"]["cost_usd"]) == Decimal("0.035")
    assert report["total"]["calls"] == 2
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.strip().startswith(("2026-03-0", "total"))]
    assert len(rows) == 3 and "$0.0350" in rows[-1]
    assert _right_aligned(rows)
    assert main(["cost", "report", "--since", "yesterday", "--by", "model"]) == 0
    capsys.readouterr()

    assert main(["stats", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["students"] == 0 and numbers["accuracy_percent"] is None
    assert set(numbers) >= {"students", "parents", "teachers", "answers", "llm_cost_today"}
    assert main(["stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Dars usage"
    rows = [line for line in lines[4:] if line.strip()]
    assert rows[0].split() == ["students", "0"]
    assert _right_aligned(rows)


def test_teachers_list_and_remove(sqlite_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        engine = create_engine(sqlite_db)
        settings = Settings(_env_file=None, database_url=sqlite_db)
        deps = Deps(db=create_sessionmaker(engine), settings=settings, clock=FakeClock())
        await _teacher_with_class(deps, 9960, 9961)
        await engine.dispose()

    assert main(["teachers", "list"]) == 0
    assert "no teachers yet" in capsys.readouterr().out
    asyncio.run(seed())
    assert main(["teachers", "add", "9962"]) == 0
    capsys.readouterr()
    assert main(["teachers", "list", "--json"]) == 0
    teachers = json.loads(capsys.readouterr().out)["teachers"]
    assert [(t["telegram_id"], t["classes"], t["students"]) for t in teachers] == [
        (9960, 1, 1),
        (9962, 0, 0),
    ]
    assert set(teachers[0]) == {"telegram_id", "language", "classes", "students", "added_at"}
    assert main(["teachers", "list"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if "99" in line]
    assert [(row[0], row[-2], row[-1]) for row in rows] == [("9960", "1", "1"), ("9962", "0", "0")]

    assert main(["teachers", "remove", "9960"]) == 1
    assert _err_lines(capsys)[-1] == (
        "dars: 9960 has 1 class(es) with 1 student(s); nothing removed. Add --force to remove "
        "the teacher with their classes (the students keep their accounts and progress)"
    )
    assert main(["teachers", "remove", "9960", "--force"]) == 0
    assert capsys.readouterr().out == (
        "9960 is no longer a teacher (removed the teacher and 1 class(es))\n"
    )
    assert main(["teachers", "remove", "9962"]) == 0
    assert main(["teachers", "remove", "9962"]) == 1
    assert _err_lines(capsys)[-1] == "dars: 9962 is not a teacher; nothing removed"
    assert main(["stats", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert (numbers["teachers"], numbers["students"]) == (0, 1)  # the student stays


def _parsers(parser: argparse.ArgumentParser, path: str = "dars"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_command_and_argument_has_help() -> None:
    parser = build_parser()
    seen = []
    for path, command in _parsers(parser):
        if command.get_default("tool"):  # `problems stats|preview|check` pass --help on
            continue
        seen.append(path)
        assert command.description, path
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # each of its commands has its own help, checked here too
            assert action.help, f"{path}: {action.dest}"
        if command.get_default("database"):
            assert "DATABASE_URL" in command.format_help(), path
    assert "DATABASE_URL" in parser.format_help()
    assert {"dars teachers list", "dars teachers remove", "dars console"} <= set(seen)


def test_backoff_doubles_up_to_thirty_seconds_for_five_minutes() -> None:
    delays = list(backoff_delays())
    assert delays[:6] == [1, 2, 4, 8, 16, 30]
    assert set(delays[5:]) == {30} and sum(delays) <= 300 < sum(delays) + 30


async def test_run_waits_for_the_bot_api_then_gives_up_in_one_line(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        _env_file=None,
        database_url=pg_url,
        telegram_bot_token="123456:TEST",
        telegram_api_base_url=f"http://127.0.0.1:{port}/bot",
    )
    caplog.set_level(logging.WARNING)
    problem = await wait_for_services(settings, delays=lambda: iter([0.01, 0.02]))
    assert problem is not None
    assert problem.startswith("cannot reach the Bot API (") and "gave up after" in problem
    tries = [r.getMessage() for r in caplog.records if r.name == "bot.serving.runner"]
    assert len(tries) == 2 and all("trying again in" in line for line in tries)
    gc.collect()
    await asyncio.sleep(0)
    assert not [r for r in caplog.records if "Unclosed" in r.getMessage()]

    # The database likewise.
    down = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://dars:pw@127.0.0.1:{port}/dars"}
    )
    problem = await wait_for_services(down, delays=lambda: iter([0.01]))
    assert problem is not None and problem.startswith("cannot reach the database (")

    # Both there: nothing to say.
    async with BotApiEmulator() as emu:
        up = Settings(
            _env_file=None,
            database_url=pg_url,
            telegram_bot_token=emu.token,
            telegram_api_base_url=emu.base_url,
        )
        assert await wait_for_services(up, delays=lambda: iter([])) is None


def _big_bank(folder: Path, count: int) -> Path:
    """``count`` one-line numeric problems (quick to check, unlike the shipped bank)."""
    text = (SMALL_BANK.read_text(encoding="utf-8").split("\n- id: ")[1]).split("\n", 1)[1]
    path = folder / "big.yaml"
    path.write_text(
        "".join(f'- id: "big-{n:04d}"\n{text.rstrip()}\n\n' for n in range(count)),
        encoding="utf-8",
    )
    return path


def test_a_long_load_shows_progress_on_a_terminal_only(sqlite_db: str, cli_env: Path) -> None:
    import pty

    from bot.cli import PROGRESS_FROM

    bank = _big_bank(cli_env.parent, PROGRESS_FROM + 50)
    argv = [sys.executable, "-m", "bot", "problems", "load", str(bank)]
    env = {**os.environ, "DATABASE_URL": sqlite_db, "COLUMNS": "100"}
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            argv, stdin=follower, stdout=follower, stderr=follower, cwd=cli_env, env=env
        ) as load:
            os.close(follower)
            seen = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the command is done
                    break
                if not chunk:
                    break
                seen += chunk
            assert load.wait(timeout=300) == 0
    finally:
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "loading problems" in text and "loaded (" in text
    piped = subprocess.run(
        [*argv, "--dry-run"], cwd=cli_env, env=env, capture_output=True, text=True, check=True
    )
    assert "loading problems" not in piped.stdout + piped.stderr
    assert "unchanged" in piped.stdout
