"""`dars console` end to end: console users, their language, starting over, the next day (a
reminder arrives), a parent linking from a second console user, and Ctrl-C."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.deps import Deps
from db.engine import create_engine, create_sessionmaker
from db.models import GuardianLink, Student
from problems.bank import parse_banks
from tests.services.test_families import make_student

SMALL_BANK = Path(__file__).resolve().parents[1] / "services" / "llm_bank.yaml"


@pytest.fixture
def console_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database with a small bank (so the console does not load the
    sample bank) and one student, console user 1, as DATABASE_URL."""
    path = tmp_path / "dars.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def seed() -> None:
        engine = create_engine(url)
        deps = Deps(db=create_sessionmaker(engine), settings=Settings(_env_file=None))
        await load_banks(deps.db, parse_banks([SMALL_BANK]))
        await make_student(deps, 1, "Student")
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _chat(tmp_path: Path, capsys: pytest.CaptureFixture[str], *lines: str, args: list[str]) -> str:
    script = tmp_path / "chat.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["console", "--script", str(script), *args]) == 0
    return capsys.readouterr().out


async def _students(url: str) -> dict[int, str]:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as s:
        rows = (await s.execute(select(Student.telegram_id, Student.language))).all()
    await engine.dispose()
    return {int(tid): str(lang) for tid, lang in rows}


async def _links(url: str) -> int:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as s:
        count = len((await s.scalars(select(GuardianLink))).all())
    await engine.dispose()
    return count


def _evening_zone() -> str:
    """A time zone where it is 20:00-21:00 now: past the default reminder time (18:00) and
    far from midnight (the console's clock is the real one, moved on by whole days)."""
    offset = 20 - dt.datetime.now(dt.UTC).hour
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}"  # the Etc/GMT zones count the other way round


def test_a_second_console_user_in_bengali_sees_the_next_day_and_starts_over(
    console_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", _evening_zone())
    out = _chat(
        tmp_path,
        capsys,
        "/start",
        "#2",  # বাংলা
        "#1",  # ৬ষ্ঠ শ্রেণি
        "#1",  # keep the name
        "/nextday",
        args=["--user", "2", "--lang", "bn"],
    )
    assert "you are console user 2 (Telegram id 2, app language bn)" in out
    assert "দার্স-এ স্বাগতম!" in out and "তুমি কোন শ্রেণিতে পড়ো?" in out
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    after = out.split(f"(the console's clock is now {tomorrow:%Y-%m-%d}", 1)[1]
    # Joined "yesterday", not practised "today": the day's reminder comes, in Bengali.
    assert "Dars: ⏰ হাই Person 2!" in after
    assert asyncio.run(_students(console_db)) == {1: "en", 2: "bn"}

    # --fresh: console user 2 starts over; console user 1 is kept.
    out = _chat(tmp_path, capsys, "/start", args=["--user", "2", "--fresh"])
    assert "(console user 2 starts over: deleted student)" in out
    assert "Dars: Welcome to Dars! 📚 Choose your language:" in out
    students = asyncio.run(_students(console_db))
    assert students[1] == "en" and students.get(2) != "bn"  # 2's choice of Bengali is gone


def test_a_parent_links_from_a_second_console_user(
    console_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _chat(tmp_path, capsys, "/invite", args=[])
    (code,) = re.findall(r"\?start=([A-Za-z0-9_-]+)", out)
    out = _chat(tmp_path, capsys, f"/start {code}", args=["--user", "3"])
    assert "✅ You now follow Student's practice on Dars." in out
    # What the student's chat gets is shown, marked with its chat.
    assert "Dars → chat 1: 👨‍👩‍👧 A parent has linked to your progress" in out
    assert asyncio.run(_links(console_db)) == 1


def _as_in_a_terminal() -> None:
    # A test run started in the background (``pytest &`` from a script) ignores SIGINT, and
    # a child inherits that; in a terminal Ctrl-C is never ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_ends_the_console_at_once(console_db: str, tmp_path: Path) -> None:
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": console_db, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_as_in_a_terminal,
    )
    assert chat.stdout is not None
    seen = b""
    deadline = time.monotonic() + 120
    while b"you> " not in seen:
        assert time.monotonic() < deadline, seen
        seen += os.read(chat.stdout.fileno(), 4096)
    # Both pipes are drained meanwhile (a full pipe would stall the console), and stdin stays
    # open until the console has ended: closing it is Ctrl-D, which would race the signal.
    stdin, stdout, stderr = chat.stdin, chat.stdout, chat.stderr
    assert stdin is not None and stderr is not None
    drained: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda: drained.update(out=stdout.read())),
        threading.Thread(target=lambda: drained.update(err=stderr.read())),
    ]
    for reader in readers:
        reader.start()
    chat.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    try:
        code: int | None = chat.wait(timeout=30)
    except subprocess.TimeoutExpired:
        chat.kill()
        code = None
    waited = time.monotonic() - pressed
    for reader in readers:
        reader.join()
    stdin.close()
    out, err = drained["out"], drained["err"]
    assert code == 0, (code, out, err[-3000:])
    assert waited < 3, err[-3000:]
    assert out.decode().strip() == "(bye)", (out, err[-3000:])
    assert b"Traceback" not in err and b"Error" not in err, err
