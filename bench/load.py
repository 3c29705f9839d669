"""Load generation through the Bot API emulator: planned answers pushed open loop (at their
scheduled times, whatever the bot is doing) or as one burst, and every reply matched back.

Timing points, all ``time.monotonic()`` in the generator's process (the emulator runs there):
``scheduled`` when the answer was due, ``pushed`` when the generator queued it, ``handed_out``
when the bot's getUpdates received it, ``replied`` when the emulator recorded the bot's
sendMessage to that chat. Replies to a chat are matched to that chat's answers in order (the
bot keeps each user's updates in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.common import percentile
from botapi_emulator import ApiCall, BotApiEmulator


@dataclass(slots=True)
class Answer:
    """One message a simulated student sends, and what became of it."""

    chat_id: int
    text: str
    expect: str = ""  # what the bot should make of it (retry, correct, done…), for reports
    language_code: str = "en"
    update_id: int = 0
    scheduled: float = 0.0
    pushed: float = 0.0
    handed_out: float | None = None
    replied: float | None = None
    reply_text: str | None = None

    @property
    def internal_ms(self) -> float | None:
        """Bot-internal latency: handed out by getUpdates → reply received."""
        if self.replied is None or self.handed_out is None:
            return None
        return (self.replied - self.handed_out) * 1000

    @property
    def end_to_end_ms(self) -> float | None:
        """Scheduled → reply received (includes waiting in the emulator's queue)."""
        if self.replied is None:
            return None
        return (self.replied - self.scheduled) * 1000


@dataclass
class ReplyTracker:
    """Matches sendMessage calls to the answers that caused them, per chat and in order."""

    emu: BotApiEmulator
    pending: defaultdict[int, deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    unexpected: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    failed_sends: int = 0
    replied_count: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.emu.add_listener(self._on_call)
        if self.emu.handed_out is None:
            self.emu.handed_out = {}

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.emu.remove_listener(self._on_call)

    def _on_call(self, call: ApiCall) -> None:
        if call.method != "sendMessage":
            return
        if not call.ok:
            self.failed_sends += 1
            return
        chat = call.chat_id
        if not isinstance(chat, int):
            return
        queue = self.pending.get(chat)
        if not queue:
            self.unexpected[chat] += 1
            return
        answer = queue.popleft()
        answer.replied = call.at
        answer.reply_text = call.params.get("text")
        assert self.emu.handed_out is not None
        answer.handed_out = self.emu.handed_out.get(answer.update_id)
        self.replied_count += 1
        self._changed.set()

    def push(self, answer: Answer, *, scheduled: float | None = None) -> Answer:
        now = time.monotonic()
        answer.scheduled = now if scheduled is None else scheduled
        self.pending[answer.chat_id].append(answer)
        answer.update_id = self.emu.push_message(
            answer.chat_id, answer.text, language_code=answer.language_code
        )
        answer.pushed = time.monotonic()
        return answer

    def forget(self, answers: Sequence[Answer]) -> None:
        """Stop waiting for these answers' replies (a late one then counts as unexpected),
        so that they cannot take the reply of a later answer in the same chat."""
        for answer in answers:
            queue = self.pending.get(answer.chat_id)
            if queue and answer in queue:
                queue.remove(answer)

    async def wait_replied(self, answers: Sequence[Answer], *, within: float) -> bool:
        """Wait (bounded) until every answer has its reply; False on timeout."""
        deadline = time.monotonic() + within
        while any(a.replied is None for a in answers):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
        return True


async def open_loop(
    tracker: ReplyTracker,
    answers: Sequence[Answer],
    *,
    rate: float,
    max_seconds: float,
    on_tick: Callable[[float], None] | None = None,
) -> list[Answer]:
    """Push ``answers`` at ``rate`` per second on a fixed schedule, never waiting for replies
    (a slow bot makes a queue, it does not slow the arrivals). Stops after ``max_seconds``."""
    start = time.monotonic() + 0.02
    sent: list[Answer] = []
    i = 0
    while i < len(answers):
        now = time.monotonic()
        if now - start > max_seconds:
            break
        due = min(len(answers), int((now - start) * rate) + 1)
        while i < due:
            sent.append(tracker.push(answers[i], scheduled=start + i / rate))
            i += 1
        if on_tick is not None:
            on_tick(now)
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
    return sent


def burst(tracker: ReplyTracker, answers: Sequence[Answer]) -> list[Answer]:
    """Push every answer at once (a saturation test: the bot's queue is full from the start)."""
    now = time.monotonic()
    return [tracker.push(a, scheduled=now) for a in answers]


def summarize(answers: Sequence[Answer]) -> dict[str, Any]:
    """Counts and latency percentiles (ms) of a set of answers."""
    internal = [a.internal_ms for a in answers if a.internal_ms is not None]
    e2e = [a.end_to_end_ms for a in answers if a.end_to_end_ms is not None]
    lag = [(a.pushed - a.scheduled) * 1000 for a in answers]
    replied = [a for a in answers if a.replied is not None]
    out: dict[str, Any] = {
        "answers": len(answers),
        "replied": len(replied),
        "internal_ms": {p: round(percentile(internal, q), 2) for p, q in _PCTS},
        "end_to_end_ms": {p: round(percentile(e2e, q), 2) for p, q in _PCTS},
        "push_lag_ms_max": round(max(lag), 2) if lag else None,
    }
    if replied:
        last = max(a.replied for a in replied if a.replied is not None)
        handed = [a.handed_out for a in replied if a.handed_out is not None]
        first_push = min(a.pushed for a in answers)
        out["span_s"] = round(last - first_push, 3)
        # From the first hand-out: pushing a large burst takes the generator a moment, and
        # the bot cannot start before it has the updates.
        if handed and last > min(handed):
            out["rate_per_s"] = round(len(replied) / (last - min(handed)), 1)
    return out


_PCTS = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("max", 100.0))


def unreplied(
    sent: Sequence[Answer], emu: BotApiEmulator, *, limit: int = 20
) -> list[dict[str, Any]]:
    """The answers that got no reply (at most ``limit``), with what is known of each."""
    return [
        {
            "chat": a.chat_id,
            "text": a.text,
            "expect": a.expect,
            "update_id": a.update_id,
            "handed_out": a.handed_out is not None or a.update_id in (emu.handed_out or {}),
            # Whatever the bot sent to that chat after the answer arrived, for the diagnosis.
            "calls": [
                [c.method, c.status, str(c.params.get("text", ""))[:40]]
                for c in emu.calls
                if c.chat_id == a.chat_id and c.at >= a.pushed
            ][:5],
        }
        for a in sent
        if a.replied is None
    ][:limit]
