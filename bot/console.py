"""`dars console`: chat with the real tutor in a terminal, no Telegram account or network.

The same Application as in production polls a Bot API emulator running in this process on
loopback; what the bot sends is printed, inline buttons appear as numbered choices.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_application, running
from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.clock import system_clock
from bot.services.deps import Deps
from bot.services.privacy import delete_my_data
from botapi_emulator import ApiCall, BotApiEmulator
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import Problem
from problems.bank import parse_banks, sample_bank_dir

USER_ID = 1
QUIET_SECONDS = 0.3
# Telegram first names of the console people (any of them can take any role).
FIRST_NAMES = {1: "Student"}
NEXT_DAY = ("/nextday", "/tomorrow")
INTRO = """\
Dars console — you are console user {user} (Telegram id {user}, app language {lang}), chatting
with the real tutor (database: {db}).
Type messages as you would in Telegram (start with /start). Buttons are shown as [1], [2], …;
type #1, #2, … to tap one. /nextday moves the console's clock one day on (streaks, milestones,
reminders). /quit, Ctrl-D or Ctrl-C ends the chat.
More people: `dars console --user 2` in a second terminal. A parent: type /start and the code
after "start=" in the student's /invite link. A teacher: `dars teachers add 3`, then
`dars console --user 3`. --fresh starts the console user over.
"""


class ConsoleChat:
    """Prints the bot's side of the chat and turns typed lines into updates."""

    def __init__(
        self, emu: BotApiEmulator, out: TextIO, *, user: int = USER_ID, lang: str = "en"
    ) -> None:
        self.emu = emu
        self.out = out
        self.user = user
        self.lang = lang
        self.first_name = FIRST_NAMES.get(user, f"Person {user}")
        self.buttons: list[tuple[int, str]] = []  # (message_id, callback_data)
        self.last_activity = time.monotonic()
        emu.add_listener(self.on_call)

    def on_call(self, call: ApiCall) -> None:
        """Show what the bot sent, edited or popped up."""
        if not call.ok:
            return
        if call.method in ("sendMessage", "editMessageText"):
            self.last_activity = time.monotonic()
            prefix = "Dars" if call.method == "sendMessage" else "Dars (updated)"
            chat = call.params.get("chat_id")
            if chat is not None and str(chat) != str(self.user):
                prefix += f" → chat {chat}"
            print(f"\n{prefix}: {call.params.get('text', '')}", file=self.out)
            message_id = (call.result or {}).get("message_id", 0)
            self._show_buttons(message_id, call.params.get("reply_markup"))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.last_activity = time.monotonic()
            print(f"\n(Dars: {call.params['text']})", file=self.out)
        self.out.flush()

    def _show_buttons(self, message_id: int, markup: Any) -> None:
        rows = (markup or {}).get("inline_keyboard") if isinstance(markup, dict) else None
        if not rows:
            return
        self.buttons = []
        labels = []
        for row in rows:
            for button in row:
                self.buttons.append((message_id, button.get("callback_data", "")))
                labels.append(f"[{len(self.buttons)}] {button.get('text', '')}")
        print("   " + "   ".join(labels), file=self.out)

    def submit(self, line: str) -> bool:
        """Send one typed line to the bot; False if it was a button number that does not exist."""
        if line.startswith("#") and line[1:].isdigit():
            index = int(line[1:]) - 1
            if not 0 <= index < len(self.buttons):
                print(f"(there is no button {line})", file=self.out)
                return False
            message_id, data = self.buttons[index]
            self.emu.push_callback(
                self.user,
                data,
                message_id=message_id,
                first_name=self.first_name,
                language_code=self.lang,
            )
        else:
            self.emu.push_message(
                self.user, line, first_name=self.first_name, language_code=self.lang
            )
        self.last_activity = time.monotonic()
        return True

    async def wait_quiet(self, limit: float = 15.0) -> None:
        """Wait until the bot has answered and been quiet for a moment."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            await asyncio.sleep(0.05)
            if (
                self.emu.pending_updates == 0
                and time.monotonic() - self.last_activity > QUIET_SECONDS
            ):
                return


async def _ensure_sample_bank(deps: Deps) -> None:
    async with deps.db() as s:
        count = await s.scalar(select(func.count()).select_from(Problem))
    if count:
        return
    parsed = parse_banks([sample_bank_dir()])
    summary = await load_banks(deps.db, parsed)
    print(f"(loaded the sample bank: {summary.created} problems)")


def _lines(script: str | None) -> Iterator[str]:
    if script is None:
        return iter(())
    with open(script, encoding="utf-8") as handle:
        return iter([line.rstrip("\n") for line in handle])


class ConsoleClock:
    """The real time, moved on by whole days with /nextday (the console's own clock)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return system_clock() + self.offset


def _read_lines(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """Read stdin in a daemon thread: Ctrl-C must not wait for a blocked read (a thread of the
    default executor would hold up the exit until the next Enter)."""

    def read() -> None:
        while True:
            line = sys.stdin.readline()
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line or None)
            except RuntimeError:  # the chat has ended and its loop is closed
                return
            if not line:
                return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()


async def _chat(
    settings: Settings, script: str | None, *, user: int, lang: str, fresh: bool
) -> int:
    engine = create_engine(settings.database_url)
    clock = ConsoleClock()
    deps = Deps(db=create_sessionmaker(engine), settings=settings, clock=clock)

    try:
        await _ensure_sample_bank(deps)
        if fresh:
            gone = await delete_my_data(deps, telegram_id=user, language_code=lang)
            what = [
                n
                for n, had in (
                    ("student", gone.student),
                    ("parent", gone.guardian),
                    ("teacher", gone.teacher),
                )
                if had
            ]
            print(f"(console user {user} starts over: deleted {', '.join(what) or 'nothing'})")
        # Update ids must keep growing across console runs: they are idempotency keys.
        async with BotApiEmulator(first_update_id=int(time.time() * 1000)) as emu:
            console_settings = settings.model_copy(
                update={
                    "telegram_bot_token": SecretStr(emu.token),
                    "telegram_api_base_url": emu.base_url,
                    # One local user replaying a script as fast as the bot answers.
                    "flood_rate_per_second": 0.0,
                }
            )
            app = build_application(console_settings, deps=deps)
            chat = ConsoleChat(emu, sys.stdout, user=user, lang=lang)

            async def next_day() -> None:
                clock.offset += dt.timedelta(days=1)
                print(f"(the console's clock is now {clock():%Y-%m-%d %H:%M} UTC: the next day)")
                # Reminders that are due on the new day come at once, not at the next check.
                if app.job_queue is not None:
                    for job in app.job_queue.get_jobs_by_name("reminders"):
                        await job.run(app)
                await chat.wait_quiet()

            async with running(app, poll_timeout=1):
                print(INTRO.format(user=user, lang=lang, db=settings.database_url))
                if script is not None:
                    for line in _lines(script):
                        print(f"\nyou> {line}")
                        if line.strip() in NEXT_DAY:
                            await next_day()
                        elif chat.submit(line):
                            await chat.wait_quiet()
                    return 0
                lines: asyncio.Queue[str | None] = asyncio.Queue()
                _read_lines(asyncio.get_running_loop(), lines)
                while True:
                    await chat.wait_quiet()
                    print("\nyou> ", end="", flush=True)
                    try:
                        typed = await lines.get()
                    except asyncio.CancelledError:  # Ctrl-C: say so now, then stop the bot
                        print("\n(bye)", flush=True)
                        raise
                    if typed is None or typed.strip() in ("/quit", "/exit"):
                        print()
                        return 0
                    if typed.strip() in NEXT_DAY:
                        await next_day()
                    elif typed.strip():
                        chat.submit(typed.strip())
    finally:
        await engine.dispose()


def run_console(
    settings: Settings,
    *,
    script: str | None = None,
    user: int = USER_ID,
    lang: str | None = None,
    fresh: bool = False,
) -> int:
    """Migrate the (default: embedded SQLite) database, load the sample bank, and chat as
    console user ``user`` (``fresh``: that user's data deleted first)."""
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    # "Application started" and the like are noise between the lines of a chat.
    logging.getLogger("telegram.ext.Application").setLevel(logging.WARNING)
    migrate.upgrade(settings.database_url)
    try:
        return asyncio.run(_chat(settings, script, user=user, lang=lang or "en", fresh=fresh))
    except KeyboardInterrupt:
        return 0
