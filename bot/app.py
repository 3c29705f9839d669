"""build_application: the one place that wires settings, database, handlers and jobs together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, BaseUpdateProcessor, Job

from bot.config import Settings
from bot.handlers import build_handlers
from bot.handlers.misc import on_error
from bot.jobs import register_jobs
from bot.priority import StepGate, Stepped
from bot.request import AiohttpRequest
from bot.sender import RateLimitedSender
from bot.services import classes
from bot.services.clock import Clock, system_clock
from bot.services.deps import Deps, reset_model_wait, set_model_wait
from bot.services.tutor import Tutor, release_stale_reservations
from bot.summary_jobs import register_summary_job
from bot.texts import t
from db.engine import create_engine, create_sessionmaker

logger = logging.getLogger(__name__)
UNLIMITED = 1_000_000
# Updates finishing after a language-model call, at once (see PerUserUpdateProcessor).
MODEL_SLOTS = 4
# How long one step of an update's model work waits for the updates in progress at most.
MODEL_PATIENCE_SECONDS = 0.05
COMMANDS = ("start", "practice", "settings", "invite", "summary", "help")


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` updates at once, but each user's in arrival order.

    PTB's default runs one update at a time, so one slow student (a model call) would stall
    everyone; plain ``concurrent_updates`` would let one student's answer overtake their own
    earlier tap.
    """

    def __init__(self, max_concurrent_updates: int, *, model_slots: int = MODEL_SLOTS) -> None:
        # The base class takes one of its slots *before* do_process_update waits for the
        # user, so one user's backlog would hold slots other students need. Its semaphore is
        # therefore left wide open and ours is taken only once it is this user's turn.
        super().__init__(UNLIMITED)
        self.limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._model_slots = asyncio.Semaphore(model_slots)
        self._gate = StepGate(patience=MODEL_PATIENCE_SECONDS)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await self._in_slot(coroutine)
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._users[user.id] += 1
        try:
            async with lock:
                await self._in_slot(coroutine)
        finally:
            self._users[user.id] -= 1
            if not self._users[user.id]:
                del self._users[user.id], self._locks[user.id]

    async def _in_slot(self, coroutine: Awaitable[Any]) -> None:
        # An update waiting seconds for the language model gives its slot back meanwhile
        # (see ``waiting_for_model``), or a hundred such waits would stall every other
        # student; the user's lock stays held, so their own updates still wait their turn.
        # From then on it is low priority (bot.priority): its steps go one per turn of the
        # event loop and wait for the updates in progress, because a student waits seconds
        # for the model anyway, while a rule-graded answer takes milliseconds unless it
        # queues behind verdicts. It finishes in one of a few *model* slots.
        await self._slots.acquire()
        self._gate.high_started()
        held: asyncio.Semaphore | None = self._slots
        update = Stepped(coroutine, self._gate)

        @contextlib.asynccontextmanager
        async def park() -> AsyncIterator[None]:
            nonlocal held
            if held is not None:
                if held is self._slots:
                    self._gate.high_finished()
                held.release()
                held = None
            update.low = True
            try:
                yield
            finally:
                await self._model_slots.acquire()
                held = self._model_slots

        token = set_model_wait(park)
        try:
            await update
        finally:
            reset_model_wait(token)
            if held is self._slots:
                self._gate.high_finished()
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


def freeze_startup_heap() -> None:
    """Take the objects of a started bot out of the cyclic garbage collector's sight.

    Modules, classes and pools live as long as the process (~165,000 objects, mostly PTB,
    SQLAlchemy and the openai SDK's types). Each full collection walked all of them: ~110 ms
    on the benchmark machine, a stall of every student's update every few seconds under
    load. Frozen, a full collection walks only what was made since (``bench/RESULTS.md``).
    """
    gc.collect()
    gc.freeze()


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
    freeze_heap: bool = False,
) -> Application:
    """Build the bot: engine and services in ``post_init``, closed again in ``post_shutdown``.

    ``freeze_heap`` (for a long-running process: ``dars run``): once started, everything
    alive is handed to ``gc.freeze`` (see ``freeze_startup_heap``).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")

    async def post_init(app: Application) -> None:
        if "deps" not in app.bot_data:
            # Every update in a slot may hold a connection, and the jobs a few more.
            pool_size = settings.concurrent_updates + MODEL_SLOTS + 4
            engine = create_engine(settings.database_url, pool_size=pool_size)
            db = create_sessionmaker(engine)
            app.bot_data["engine"] = engine
            app.bot_data["deps"] = Deps(
                db=db,
                settings=settings,
                clock=clock,
                tutor=Tutor.from_settings(settings, db, clock),
            )
        deps: Deps = app.bot_data["deps"]
        if deps.tutor is not None:
            # Budget reservations left by a process that died mid-call would block spending.
            await release_stale_reservations(deps.db, now=deps.clock())

        # One sender per process: every scheduled message shares its flood limits.
        async def follow_group(old_chat_id: int, new_chat_id: int) -> None:
            await classes.move_group(deps, old_chat_id=old_chat_id, new_chat_id=new_chat_id)

        app.bot_data.setdefault(
            "sender",
            RateLimitedSender(
                app.bot, per_second=settings.send_rate_per_second, on_migrated=follow_group
            ),
        )
        await _set_commands(app)
        if freeze_heap:
            freeze_startup_heap()

    async def post_shutdown(app: Application) -> None:
        deps: Deps | None = app.bot_data.get("deps")
        if deps is not None and deps.tutor is not None and "engine" in app.bot_data:
            await deps.tutor.aclose()
        engine = app.bot_data.pop("engine", None)
        if engine is not None:
            await engine.dispose()

    builder = (
        Application.builder()
        .application_class(DarsApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(PerUserUpdateProcessor(settings.concurrent_updates))
        .request(AiohttpRequest(connection_pool_size=max(8, settings.concurrent_updates // 2)))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    if deps is not None:
        app.bot_data["deps"] = deps
    app.add_handlers(build_handlers())
    app.add_error_handler(on_error)
    register_jobs(app, settings)
    register_summary_job(app)
    return app
