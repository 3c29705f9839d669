"""End-to-end fixtures: the real Application polling a Bot API emulator on loopback, on the
test run's PostgreSQL database, with a clock the tests control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.deps import Deps
from bot.services.llm import LanguageModel
from botapi_emulator import ApiCall, BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from problems.bank import parse_banks
from tests.conftest import TRUNCATE_ALL, FakeClock, sample_bank_deps

REPLY_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")


class ChatUser:
    """A person in a private chat with the bot: sends text, taps buttons, reads replies."""

    def __init__(self, emu: BotApiEmulator, user_id: int, *, language_code: str = "en") -> None:
        self.emu = emu
        self.id = user_id
        self.language_code = language_code

    def _replies(self) -> list[ApiCall]:
        return [
            c
            for c in self.emu.calls
            if c.method in REPLY_METHODS and c.ok and (c.chat_id == self.id or c.chat_id is None)
        ]

    async def _settle(self, before: int, *, expect: int = 1, limit: float = 10.0) -> list[ApiCall]:
        """Wait for ``expect`` new messages or edits, then until the bot is quiet a moment."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit

        def texts() -> int:
            return sum(1 for c in self._replies()[before:] if c.method != "answerCallbackQuery")

        while texts() < expect:
            if loop.time() > deadline:
                raise TimeoutError(f"no reply; calls: {[c.method for c in self.emu.calls[-10:]]}")
            await asyncio.sleep(0.01)
        quiet_since, count = loop.time(), len(self._replies())
        while loop.time() - quiet_since < 0.15:
            await asyncio.sleep(0.02)
            if len(self._replies()) != count:
                quiet_since, count = loop.time(), len(self._replies())
        return self._replies()[before:]

    async def send(self, text: str, *, expect: int = 1) -> list[str]:
        """Send a text and return the texts of the bot's messages and edits that answer it."""
        before = len(self._replies())
        self.emu.push_message(self.id, text, language_code=self.language_code)
        calls = await self._settle(before, expect=expect)
        return [c.params["text"] for c in calls if c.method != "answerCallbackQuery"]

    def last_keyboard_message(self) -> dict[str, Any]:
        for message in reversed(self.emu.chat_messages(self.id)):
            if message.get("reply_markup"):
                return message
        raise AssertionError("no message with buttons")

    def buttons(self) -> list[tuple[str, str]]:
        message = self.last_keyboard_message()
        return [
            (button["text"], button["callback_data"])
            for row in message["reply_markup"]["inline_keyboard"]
            for button in row
        ]

    def button_data(self, label_part: str) -> tuple[int, str]:
        message = self.last_keyboard_message()
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if label_part in button["text"]:
                    return message["message_id"], button["callback_data"]
        raise AssertionError(f"no button with {label_part!r} in {self.buttons()}")

    async def tap(self, label_part: str) -> list[str]:
        """Tap the first button whose label contains ``label_part``; return the bot's texts."""
        message_id, data = self.button_data(label_part)
        return await self.tap_data(data, message_id=message_id)

    async def tap_data(self, data: str, *, message_id: int, expect: int = 1) -> list[str]:
        before = len(self._replies())
        self.emu.push_callback(
            self.id, data, message_id=message_id, language_code=self.language_code
        )
        calls = await self._settle(before, expect=expect)
        return [c.params["text"] for c in calls if c.method != "answerCallbackQuery"]


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def e2e_deps(pg_url: str, sample_bank) -> AsyncIterator[Deps]:
    async with sample_bank_deps(pg_url, sample_bank) as deps:
        yield deps


@pytest.fixture
async def bot(emu: BotApiEmulator, e2e_deps: Deps) -> AsyncIterator[BotApiEmulator]:
    """The real Application, polling the emulator; yields the emulator to talk through."""
    settings = e2e_deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    app = build_application(settings, deps=e2e_deps)
    async with running(app, poll_timeout=1):
        yield emu


@pytest.fixture
async def flood_guarded_bot(emu: BotApiEmulator, e2e_deps: Deps) -> AsyncIterator[BotApiEmulator]:
    """The bot as deployed: per-user flood control at its default limits."""
    defaults = Settings(_env_file=None)
    settings = e2e_deps.settings.model_copy(
        update={
            "telegram_api_base_url": emu.base_url,
            "flood_rate_per_second": defaults.flood_rate_per_second,
            "flood_burst": defaults.flood_burst,
        }
    )
    app = build_application(settings, deps=e2e_deps)
    async with running(app, poll_timeout=1):
        yield emu


@asynccontextmanager
async def model_deps(
    pg_url: str, model_url: str, bank_text: str, tmp_path: Path, **settings: object
) -> AsyncIterator[Deps]:
    """Deps with the language model on (a fake server at ``model_url``) and ``bank_text``
    loaded; the database is emptied afterwards."""
    engine = create_engine(pg_url)
    config = Settings(
        _env_file=None,
        database_url=pg_url,
        telegram_bot_token="123456:TEST",
        openai_api_key="sk-test",
        openai_base_url=model_url,
        openai_timeout_seconds=1.0,
        flood_rate_per_second=0,  # test users type faster than people (tests/ops/test_flood.py)
    ).model_copy(update=settings)
    db = create_sessionmaker(engine)
    clock = FakeClock()
    tutor = LanguageModel(settings=config, db=db, clock=clock)
    bank = tmp_path / "llm.yaml"
    bank.write_text(bank_text, encoding="utf-8")
    parsed = parse_banks([bank])
    assert not parsed.errors, parsed.errors
    await load_banks(db, parsed)
    try:
        yield Deps(db=db, settings=config, clock=clock, llm=tutor)
    finally:
        await tutor.aclose()
        async with engine.begin() as conn:
            await conn.execute(TRUNCATE_ALL)
        await engine.dispose()


async def choose_adult_language(person: ChatUser, label: str = "English") -> list[str]:
    """A new teacher's first contact asks their language: answer it (``label`` a button)."""
    (question,) = await person.send("/start")
    assert "Which language would you like?" in question, question
    return await person.tap(label)
