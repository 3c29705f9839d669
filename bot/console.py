"""`dars console`: chat with the real tutor in a terminal, no Telegram account or network.

The same Application as in production polls a Bot API emulator running in this process on
loopback; what the bot sends is printed, inline buttons appear as numbered choices.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sys
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
from botapi_emulator import ApiCall, BotApiEmulator
from db import migrate
from db.engine import create_engine, create_sessionmaker
from db.models import Problem
from problems.bank import parse_banks, sample_bank_dir

USER_ID = 1
QUIET_SECONDS = 0.3
INTRO = """\
Dars console — you are chatting with the real tutor (database: {db}).
Type messages as you would in Telegram (start with /start). Buttons are shown as [1], [2], …;
type #1, #2, … to tap one. /tomorrow moves the console's clock one day on (to practise the next
day). /quit or Ctrl-D ends the chat.
"""


class ConsoleChat:
    """Prints the bot's side of the chat and turns typed lines into updates."""

    def __init__(self, emu: BotApiEmulator, out: TextIO) -> None:
        self.emu = emu
        self.out = out
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
            self.emu.push_callback(USER_ID, data, message_id=message_id, first_name="Student")
        else:
            self.emu.push_message(USER_ID, line, first_name="Student")
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
    """The real time, moved on by whole days with /tomorrow (the console's own clock)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return system_clock() + self.offset


async def _chat(settings: Settings, script: str | None) -> int:
    engine = create_engine(settings.database_url)
    clock = ConsoleClock()
    deps = Deps(db=create_sessionmaker(engine), settings=settings, clock=clock)

    def tomorrow() -> None:
        clock.offset += dt.timedelta(days=1)
        print(f"(the console's clock is now {clock():%Y-%m-%d %H:%M} UTC)")

    try:
        await _ensure_sample_bank(deps)
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
            chat = ConsoleChat(emu, sys.stdout)
            async with running(app, poll_timeout=1):
                print(INTRO.format(db=settings.database_url))
                if script is not None:
                    for line in _lines(script):
                        print(f"\nyou> {line}")
                        if line.strip() == "/tomorrow":
                            tomorrow()
                        elif chat.submit(line):
                            await chat.wait_quiet()
                    return 0
                loop = asyncio.get_running_loop()
                while True:
                    await chat.wait_quiet()
                    print("\nyou> ", end="", flush=True)
                    line = await loop.run_in_executor(None, sys.stdin.readline)
                    if not line or line.strip() in ("/quit", "/exit"):
                        print()
                        return 0
                    if line.strip() == "/tomorrow":
                        tomorrow()
                    elif line.strip():
                        chat.submit(line.strip())
    finally:
        await engine.dispose()


def run_console(settings: Settings, *, script: str | None = None) -> int:
    """Migrate the (default: embedded SQLite) database, load the sample bank, and chat."""
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    migrate.upgrade(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_chat(settings, script))
    return 0
