"""build_application: the one place that wires settings, database, handlers and jobs together."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor, Job

from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotData
from bot.handlers import build_handlers
from bot.handlers.common import STUDENT_COMMANDS
from bot.handlers.misc import on_error
from bot.jobs import register_jobs
from bot.jobs.sender import RateLimitedSender
from bot.services import classes
from bot.services.clock import Clock, system_clock
from bot.services.deps import Deps
from bot.services.llm import LanguageModel, release_stale_reservations
from bot.services.model_wait import parking
from bot.serving import metrics
from bot.serving.http import AiohttpRequest
from bot.texts import t
from db.engine import create_engine, create_sessionmaker
from problems import algebra

logger = logging.getLogger(__name__)
UNLIMITED = 1_000_000
# Updates finishing after a language-model call, at once (see PerUserUpdateProcessor).
MODEL_SLOTS = 4
COMMANDS = STUDENT_COMMANDS


class FloodControl:
    """A token bucket per user, in this process's memory: ``burst`` updates at once, then
    ``rate`` a second. Says whether an update may run, and, once per flood, that the user
    should hear "slow down". A bucket that has filled up again is forgotten, so the process
    keeps nothing of a user who stopped flooding."""

    SWEEP_EVERY = 1024

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        # user id → [tokens, last time, warned during this flood]
        self._buckets: dict[int, list[Any]] = {}
        self._checks = 0

    def admit(self, user_id: int) -> Literal["ok", "warn", "drop"]:
        """``ok``: run the update; ``warn``: drop it and say slow down; ``drop``: drop it."""
        now = self._clock()
        self._checks += 1
        if self._checks % self.SWEEP_EVERY == 0:
            self._sweep(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            self._buckets[user_id] = [self.burst - 1.0, now, False]
            return "ok"
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= self.burst:
            bucket[2] = False  # calm again: a later flood is told once more
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return "ok"
        bucket[0] = tokens
        if bucket[2]:
            return "drop"
        bucket[2] = True
        return "warn"

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        for user_id in [u for u, b in self._buckets.items() if now - b[1] >= full_after]:
            del self._buckets[user_id]

    def __len__(self) -> int:
        return len(self._buckets)


def _language_of(update: Update) -> str:
    # No database read for a flooded update: the Telegram client's language is enough.
    user = update.effective_user
    code = (user.language_code or "") if user is not None else ""
    return "bn" if code.startswith("bn") else "en"


async def _say_slow_down(update: Update) -> None:
    """Tell a flooding user once to slow down: a callback's toast, or a private message."""
    text = t(_language_of(update), "slow_down")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await update.get_bot().send_message(update.effective_chat.id, text)
    except TelegramError as exc:
        logger.debug("could not say slow down (%s)", type(exc).__name__)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` updates at once, but each user's in arrival order.

    PTB's default runs one update at a time, so one slow student (a model call) would stall
    everyone; plain ``concurrent_updates`` would let one student's answer overtake their own
    earlier tap.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        *,
        model_slots: int = MODEL_SLOTS,
        flood: FloodControl | None = None,
    ) -> None:
        # The base class takes one of its slots *before* do_process_update waits for the
        # user, so one user's backlog would hold slots other students need. Its semaphore is
        # therefore left wide open and ours is taken only once it is this user's turn.
        super().__init__(UNLIMITED)
        self.limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._model_slots = asyncio.Semaphore(model_slots)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: defaultdict[int, int] = defaultdict(int)
        self.flood = flood

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        kind = metrics.update_kind(update)
        metrics.UPDATES.labels(kind).inc()
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await self._timed(kind, coroutine)
            return
        if self.flood is not None and (verdict := self.flood.admit(user.id)) != "ok":
            # Before the user's lock, a slot or any handler: a flood costs no database work
            # and never queues in front of other students.
            assert isinstance(update, Update)
            metrics.FLOODED.labels(kind).inc()
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            if verdict == "warn":
                await _say_slow_down(update)
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._users[user.id] += 1
        try:
            async with lock:
                await self._timed(kind, coroutine)
        finally:
            self._users[user.id] -= 1
            if not self._users[user.id]:
                del self._users[user.id], self._locks[user.id]

    async def _timed(self, kind: str, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        try:
            await self._in_slot(coroutine)
        finally:
            metrics.HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - started)

    async def _in_slot(self, coroutine: Awaitable[Any]) -> None:
        # An update waiting seconds for the language model gives its slot back meanwhile
        # (bot/services/model_wait.py), or a hundred such waits would stall every other
        # student; the user's lock stays held, so their own updates still wait their turn.
        # It finishes in one of a few *model* slots, so returning verdicts cannot crowd out
        # the students answering meanwhile.
        await self._slots.acquire()
        held: asyncio.Semaphore | None = self._slots

        @contextlib.asynccontextmanager
        async def park() -> AsyncIterator[None]:
            nonlocal held
            if held is not None:
                held.release()
                held = None
            try:
                yield
            finally:
                await self._model_slots.acquire()
                held = self._model_slots

        try:
            with parking(park):
                await coroutine
        finally:
            if held is not None:
                held.release()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class DarsApplication(Application):
    """PTB's ``Application`` without its one unbounded set when nothing is persisted.

    For its persistence, PTB notes every user and chat id an update or job touched, and only
    an update of the persistence empties those two sets; with no persistence configured (Dars
    keeps everything in its own database) they grow by ~100 bytes for every user the process
    ever saw (found by a tracemalloc soak, ``bench/RESULTS.md``). So note nothing then.
    """

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


async def _set_commands(app: Application) -> None:
    for lang, code in (("en", None), ("bn", "bn")):
        commands = [BotCommand(name, t(lang, f"cmd_{name}")) for name in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)


@contextlib.asynccontextmanager
async def running(app: Application, *, poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Run the bot inside an event loop that is already running (console, tests, benchmarks).

    ``Application.run_polling`` owns the loop and the signals; this does the same steps,
    including the ``post_init``/``post_shutdown`` hooks, for callers that own the loop.
    """
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def build_application(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    deps: Deps | None = None,
) -> Application:
    """Build the bot: engine and services in ``post_init``, closed again in ``post_shutdown``."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")

    async def post_init(app: Application) -> None:
        data: BotData = app.bot_data
        if data.deps is None:
            # Every update in a slot may hold a connection, and the jobs a few more.
            pool_size = settings.concurrent_updates + MODEL_SLOTS + 4
            engine = create_engine(settings.database_url, pool_size=pool_size)
            db = create_sessionmaker(engine)
            data.engine = engine
            data.deps = Deps(
                db=db,
                settings=settings,
                clock=clock,
                llm=LanguageModel.from_settings(settings, db, clock),
            )
        deps = data.deps
        # SymPy takes a second to import, and the bank's templates a few milliseconds each to
        # compile: at start-up (then frozen with the start-up heap), not in students' answers.
        algebra.preload()
        try:
            async with deps.db() as session:
                count = await deps.problems.warm(session)
        except (OSError, SQLAlchemyError) as exc:  # the database is down: /healthz says so
            logger.warning(
                "bank not read at start-up (%s); read when first needed", type(exc).__name__
            )
        else:
            logger.info("%d active problems read and compiled", count)
        if deps.llm is not None:
            # Budget reservations left by a process that died mid-call would block spending.
            await release_stale_reservations(deps.db, now=deps.clock())

        # One sender per process: every scheduled message shares its flood limits.
        async def follow_group(old_chat_id: int, new_chat_id: int) -> None:
            await classes.move_group(deps, old_chat_id=old_chat_id, new_chat_id=new_chat_id)

        if data.sender is None:
            data.sender = RateLimitedSender(
                app.bot, per_second=settings.send_rate_per_second, on_migrated=follow_group
            )
        await _set_commands(app)

    async def post_shutdown(app: Application) -> None:
        data: BotData = app.bot_data
        if data.engine is None:
            return  # the caller gave us its deps, and closes them itself
        if data.deps is not None and data.deps.llm is not None:
            await data.deps.llm.aclose()
        await data.engine.dispose()
        data.engine = None

    builder = (
        Application.builder()
        .application_class(DarsApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(
            PerUserUpdateProcessor(
                settings.concurrent_updates,
                flood=FloodControl(settings.flood_rate_per_second, settings.flood_burst)
                if settings.flood_rate_per_second > 0
                else None,
            )
        )
        .request(AiohttpRequest(connection_pool_size=max(8, settings.concurrent_updates // 2)))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    if deps is not None:
        app.bot_data.deps = deps
    app.add_handlers(build_handlers())
    app.add_error_handler(on_error)
    register_jobs(app, settings)
    return app
