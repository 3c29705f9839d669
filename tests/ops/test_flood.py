"""Per-user flood control: the token bucket alone, then end to end through the emulator."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import FloodControl
from bot.services.deps import Deps
from bot.texts import t
from botapi_emulator import BotApiEmulator
from db.models import Response, Student
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import _onboard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_warning_then_silence() -> None:
    clock = Clock()
    flood = FloodControl(rate=2.0, burst=5, clock=clock)
    verdicts = [flood.admit(1) for _ in range(9)]
    assert verdicts == ["ok"] * 5 + ["warn"] + ["drop"] * 3
    # Other users have their own buckets.
    assert flood.admit(2) == "ok"
    # Half a second later one token is back: one update runs, the flood is not told again.
    clock.now += 0.5
    assert [flood.admit(1) for _ in range(2)] == ["ok", "drop"]
    # Calm for long enough to fill the bucket: a new flood is told once more.
    clock.now += 5 / 2.0
    assert [flood.admit(1) for _ in range(7)] == ["ok"] * 5 + ["warn", "drop"]


def test_buckets_of_users_who_stopped_are_forgotten() -> None:
    clock = Clock()
    flood = FloodControl(rate=1.0, burst=2, clock=clock)
    for user in range(500):
        flood.admit(user)
    assert len(flood) == 500
    clock.now += 2.0  # every bucket is full again
    for _ in range(FloodControl.SWEEP_EVERY):
        flood.admit(10_000)
    assert len(flood) == 1


async def _count(deps: Deps, model: type) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _quiet(emu: BotApiEmulator, seconds: float = 0.5) -> None:
    """Wait until the bot has made no Bot API call for ``seconds``."""
    count = -1
    while count != len(emu.calls):
        count = len(emu.calls)
        await asyncio.sleep(seconds)


async def test_a_flooding_student_is_told_once_and_creates_no_rows(
    flood_guarded_bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    bot = flood_guarded_bot
    flooder = ChatUser(bot, 7301, language_code="bn")
    other = ChatUser(bot, 7302)
    await _onboard(flooder, bengali=True)
    await _onboard(other)
    await flooder.tap("অনুশীলন")
    await other.tap("Practice")
    await asyncio.sleep(10 / 2.0)  # the bucket fills up again after onboarding
    answers_before = await _count(e2e_deps, Response)
    sent_before = len(bot.calls_to("sendMessage", flooder.id))

    for _ in range(60):  # 60 answers at once, far more than anyone can type
        bot.push_message(flooder.id, "abc xyz", language_code="bn")
    # Another student is answered meanwhile.
    reply = await other.send("/help")
    assert reply
    await _quiet(bot)

    sent = [c.params["text"] for c in bot.calls_to("sendMessage", flooder.id)[sent_before:]]
    slow_down = t("bn", "slow_down")
    assert sent.count(slow_down) == 1
    assert not any(ch.isascii() and ch.isdigit() for ch in slow_down)
    handled = len(sent) - 1
    # At most a burst (10) of the 60 reached a handler; none of the rest made a row.
    assert 1 <= handled <= 10
    assert await _count(e2e_deps, Response) - answers_before <= handled
    assert await _count(e2e_deps, Student) == 2


async def test_a_stranger_flooding_callbacks_gets_one_toast_and_no_rows(
    flood_guarded_bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    bot = flood_guarded_bot
    for _ in range(40):
        bot.push_callback(7311, "lang:en", message_id=1)
    await _quiet(bot)
    answers = bot.calls_to("answerCallbackQuery")
    toasts = [c for c in answers if c.params.get("text") == t("en", "slow_down")]
    assert len(toasts) == 1
    # The rest never reached a handler: no answer at all (at most a burst of 10 did).
    assert len(answers) <= 10 + 1
    assert await _count(e2e_deps, Student) <= 1
