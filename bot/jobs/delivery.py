"""Deliver one scheduled message exactly once: claim it in the ``deliveries`` ledger, send it
through the rate-limited sender, record how it went. Shared by reminders and summaries."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.jobs.sender import RateLimitedSender, SendResult
from bot.services import deliveries
from bot.services.deps import Deps

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FanoutResult:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped_already_claimed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed + self.skipped_already_claimed


def worker_name() -> str:
    """Who holds a claim: host and process id (the ledger column takes 64 characters)."""
    return f"{socket.gethostname()}:{os.getpid()}"[-64:]


async def deliver_once(
    deps: Deps,
    sender: RateLimitedSender,
    *,
    kind: str,
    chat_id: int,
    period: str,
    worker: str,
    text: Callable[[], Awaitable[str | None]],
    on_blocked: Callable[[], Awaitable[None]],
    student_id: int | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    stale_after: dt.timedelta = deliveries.STALE_AFTER,
) -> str:
    """Claim, send and record one scheduled message (a reminder, a summary).

    Returns "sent", "blocked", "failed", "empty" (nothing to say) or "skipped" (another
    worker has it). ``text`` is built only once the claim is ours.
    """
    # Claim only once sending is possible, so a long flood pause cannot age a claim into
    # looking abandoned while this worker still means to send it.
    await sender.wait_unpaused()
    claimed = await deliveries.claim(
        deps.db,
        kind=kind,
        recipient_id=chat_id,
        period=period,
        student_id=student_id,
        worker=worker,
        now=deps.clock(),
        stale_after=stale_after,
    )
    if not claimed:
        return "skipped"

    async def failed(error: str, *, give_up: bool) -> None:
        await deliveries.mark_failed(
            deps.db, kind=kind, recipient_id=chat_id, period=period, error=error, give_up=give_up
        )

    body = await text()
    if body is None:
        await failed("nothing to send", give_up=True)
        return "empty"
    still_ours = True

    async def before_request() -> bool:
        nonlocal still_ours
        still_ours = await deliveries.mark_sending(
            deps.db,
            kind=kind,
            recipient_id=chat_id,
            period=period,
            worker=worker,
            now=deps.clock(),
        )
        return still_ours

    result = await sender.send(
        chat_id, body, reply_markup=reply_markup, before_request=before_request
    )
    if not still_ours:
        return "skipped"  # our claim went stale and another worker took it over
    if result is SendResult.SENT:
        await deliveries.mark_sent(
            deps.db, kind=kind, recipient_id=chat_id, period=period, now=deps.clock()
        )
        return "sent"
    if result is SendResult.BLOCKED:
        await on_blocked()
        await failed("blocked", give_up=True)
        return "blocked"
    await failed("send failed", give_up=False)
    return "failed"
