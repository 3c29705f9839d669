"""The scheduled-send metrics count what Telegram answered: sent, 429, 403, failed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from prometheus_client import REGISTRY

from bot.jobs.sender import RateLimitedSender, SendResult
from bot.serving.http import AiohttpRequest
from botapi_emulator import BotApiEmulator


@pytest.fixture
async def tg(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(emu.token, base_url=emu.base_url, request=AiohttpRequest())
    async with bot:
        yield bot


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_sends_429s_and_403s_are_counted(emu: BotApiEmulator, tg: telegram.Bot) -> None:
    names: tuple[tuple[str, dict[str, str]], ...] = (
        ("dars_scheduled_sends_total", {"result": "sent"}),
        ("dars_scheduled_sends_total", {"result": "blocked"}),
        ("dars_scheduled_sends_total", {"result": "failed"}),
        ("dars_scheduled_send_429_total", {}),
        ("dars_scheduled_send_403_total", {}),
    )
    before = [_value(name, **labels) for name, labels in names]
    sender = RateLimitedSender(tg, per_second=30, max_retries=0)
    emu.fail_next("sendMessage", status=429, retry_after=1)
    assert await sender.send(1, "after a flood wait") is SendResult.SENT
    emu.fail_next("sendMessage", status=403)
    assert await sender.send(2, "blocked") is SendResult.BLOCKED
    emu.fail_next("sendMessage", status=500)
    assert await sender.send(3, "server error") is SendResult.FAILED
    after = [_value(name, **labels) for name, labels in names]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1, 1, 1]
