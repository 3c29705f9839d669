"""Sending many messages within Telegram's flood limits, for scheduled fan-outs.

Telegram allows about 30 messages per second overall and about one per second per chat; past
that it answers 429 with ``retry_after`` seconds, during which every send should wait. PTB's
``AIORateLimiter`` is not used: in 22.8 a 429 pause can be lifted early when another request
that was already in flight finishes (python-telegram-bot issue #5338). Here the pause is a
deadline that a 429 can only push later, and every send checks it right before it goes out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable

import telegram
from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.serving import metrics

logger = logging.getLogger(__name__)

# A 429 this many times for one message means something else is flooding: give up on it.
MAX_FLOOD_WAITS = 5
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 8.0
# BadRequest descriptions that mean the chat cannot be written to (not a fault of the message).
_UNREACHABLE = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "user is deactivated",
    "bot was kicked",
    "bot was blocked",
    "chat_write_forbidden",
    "have no rights to send",
    "not enough rights to send",
)
_PRUNE_AT = 4096


class SendResult(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # Forbidden, chat not found, user deactivated: do not try again
    FAILED = "failed"  # network trouble or an unexpected refusal: worth another try later


def _retry_after_seconds(exc: RetryAfter) -> float:
    # Reading ``retry_after`` warns until PTB switches it to a timedelta (PTB_TIMEDELTA).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class RateLimitedSender:
    """Sends through one bot at ``per_second`` overall and one message per
    ``per_chat_interval`` per chat; a 429 pauses every caller for its ``retry_after``.

    Times are the event loop's monotonic clock: rate limits are about real seconds, not the
    business clock that tests move around.
    """

    def __init__(
        self,
        bot: telegram.Bot,
        *,
        per_second: float = 25.0,
        per_chat_interval: float = 1.0,
        max_retries: int = 3,
        on_migrated: Callable[[int, int], Awaitable[object]] | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._bot = bot
        self._interval = 1.0 / per_second
        self._per_chat_interval = per_chat_interval
        self._max_retries = max_retries
        # Told (old id, new id) when a group turned out to be a supergroup now.
        self._on_migrated = on_migrated
        self._next_slot = 0.0  # the earliest time the next message may leave
        self._paused_until = 0.0  # only ever moved later while a pause lasts
        self._chat_free_at: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_waiters: Counter[int] = Counter()
        self.flood_waits = 0  # 429 answers seen, for logs and tests

    def paused_for(self) -> float:
        """Seconds left of the current flood-control pause (0 when sending is allowed)."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    async def wait_unpaused(self) -> None:
        """Wait out any flood-control pause (lets callers hold back before claiming work)."""
        # A loop, not an Event: another 429 may move the end of the pause later meanwhile.
        while (left := self.paused_for()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: InlineKeyboardMarkup | None = None,
        before_request: Callable[[], Awaitable[bool]] | None = None,
    ) -> SendResult:
        """Send one message within the limits, retrying what is worth retrying; never raises.

        ``before_request`` is awaited once, after the rate-limit wait and right before the first
        request leaves; if it returns False (or raises) nothing is sent and the result is FAILED.
        Messages to the same chat leave in the order ``send`` was called.
        """
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._chat_waiters[chat_id] += 1
        try:
            async with lock:
                result = await self._send(chat_id, text, reply_markup, before_request)
        except Exception:
            logger.error("unexpected error while sending a message", exc_info=True)
            result = SendResult.FAILED
        finally:
            self._chat_waiters[chat_id] -= 1
            if not self._chat_waiters[chat_id]:
                del self._chat_waiters[chat_id], self._chat_locks[chat_id]
        metrics.SENDS.labels(result.value).inc()
        return result

    async def _send(
        self,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None,
        before_request: Callable[[], Awaitable[bool]] | None,
    ) -> SendResult:
        loop = asyncio.get_running_loop()
        failures = floods = 0
        migrated = False
        while True:
            await self._wait_turn(chat_id)
            if before_request is not None:
                hook, before_request = before_request, None
                try:
                    go_ahead = await hook()
                except Exception as exc:
                    # Its traceback may quote SQL parameters (chat ids): details at debug only.
                    logger.warning(
                        "not sending: the pre-send step failed (%s)", type(exc).__name__
                    )
                    logger.debug("a pre-send step failed", exc_info=True)
                    return SendResult.FAILED
                if not go_ahead:
                    return SendResult.FAILED
                if self._paused_until > loop.time():
                    continue  # a 429 arrived while the hook ran: queue up again
            error: TelegramError | None = None
            try:
                await self._bot.send_message(chat_id, text, reply_markup=reply_markup)
            except TelegramError as exc:
                error = exc
            finally:
                # Counted from the answer, which comes after Telegram saw the request.
                self._chat_free_at[chat_id] = loop.time() + self._per_chat_interval
            if error is None:
                return SendResult.SENT
            if isinstance(error, RetryAfter):
                metrics.SEND_RATE_LIMITED.inc()
                floods += 1
                self._pause(_retry_after_seconds(error))
                if floods > MAX_FLOOD_WAITS:
                    logger.warning("giving up on a message after %d flood waits", floods - 1)
                    return SendResult.FAILED
                continue
            if isinstance(error, Forbidden):
                metrics.SEND_FORBIDDEN.inc()
                logger.debug("a chat blocked the bot")
                return SendResult.BLOCKED
            if isinstance(error, BadRequest):
                if any(part in error.message.lower() for part in _UNREACHABLE):
                    logger.debug("a chat cannot be reached: %s", error.message)
                    return SendResult.BLOCKED
                logger.warning("Telegram refused a message: %s", error.message)
                return SendResult.FAILED
            if isinstance(error, NetworkError):  # timeouts and 5xx answers
                failures += 1
                if failures > self._max_retries:
                    logger.warning(
                        "send failed after %d attempts (%s)", failures, type(error).__name__
                    )
                    return SendResult.FAILED
                await asyncio.sleep(min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1)))
                continue
            if isinstance(error, ChatMigrated) and not migrated:
                # The group became a supergroup: remember its new id, then send there.
                migrated, old_id, chat_id = True, chat_id, error.new_chat_id
                if self._on_migrated is not None:
                    try:
                        await self._on_migrated(old_id, chat_id)
                    except Exception as exc:
                        logger.warning("could not record a group's move (%s)", type(exc).__name__)
                continue
            logger.warning("send refused (%s)", type(error).__name__)
            return SendResult.FAILED

    async def _wait_turn(self, chat_id: int) -> None:
        """Wait until this chat may get its next message, no pause is on, and a slot is free."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            ready = max(self._paused_until, self._chat_free_at.get(chat_id, 0.0))
            if ready > now:
                await asyncio.sleep(ready - now)
                continue
            # Slots are handed out evenly spaced, so bursts never exceed the rate.
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            if slot <= now:
                break
            await asyncio.sleep(slot - now)
            if self._paused_until <= loop.time():
                break
            # A 429 arrived while this caller waited for its slot: the slot is void.
        if len(self._chat_free_at) > _PRUNE_AT:
            self._chat_free_at = {c: t for c, t in self._chat_free_at.items() if t > now}

    def _pause(self, seconds: float) -> None:
        """Stop every send for ``seconds``; an earlier, shorter pause can never shorten it."""
        self.flood_waits += 1
        until = asyncio.get_running_loop().time() + seconds
        if until > self._paused_until:
            self._paused_until = until
            logger.warning("flood control: every send paused for %.1f s", seconds)
