"""Run the bot against Telegram (or a self-hosted Bot API server): long polling or webhooks."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import urlparse

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.serving.http import AiohttpRequest
from bot.serving.ops import with_ops_server
from db import migrate
from db.engine import create_engine

logger = logging.getLogger(__name__)


async def check_schema(url: str) -> str | None:
    """None when the database is at the newest migration, else a message for the operator."""
    engine = create_engine(url)
    # Alembic announces its context at INFO on every look; only its warnings matter here.
    alembic_logger = logging.getLogger("alembic.runtime.migration")
    level = alembic_logger.level
    alembic_logger.setLevel(max(level, logging.WARNING))
    try:
        current = await migrate.current_revision(engine)
    finally:
        alembic_logger.setLevel(level)
        await engine.dispose()
    head = migrate.head_revision()
    if current != head:
        return (
            f"The database is at migration {current or 'none (empty)'}, but this version of "
            f"Dars needs {head}. Run `dars db upgrade` first."
        )
    return None


# `dars run` waits this long in all for an unreachable database or Bot API at start-up,
# trying again after 1, 2, 4, … seconds (at most 30 apart), then gives up with one line; a
# supervisor (Docker's restart policy, systemd) starts it again. Once running, PTB itself
# retries a lost Bot API the same way, and a lost database fails single updates only.
STARTUP_WAIT_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0


def backoff_delays(
    total: float = STARTUP_WAIT_SECONDS, first: float = 1.0, most: float = MAX_BACKOFF_SECONDS
) -> Iterator[float]:
    """1, 2, 4, … seconds (at most ``most``) while they add up to no more than ``total``."""
    spent, delay = 0.0, first
    while spent + delay <= total:
        yield delay
        spent += delay
        delay = min(most, delay * 2)


def database_reason(exc: BaseException) -> str | None:
    """Why the database cannot be reached, in a line; None if ``exc`` is not about that."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OperationalError | InterfaceError):
            return str(getattr(cause, "orig", None) or cause).splitlines()[0]
        if isinstance(cause, OSError | TimeoutError) and not isinstance(cause, BrokenPipeError):
            return str(cause) or type(cause).__name__
        if type(cause).__module__.startswith("asyncpg"):
            return str(cause).splitlines()[0]
        cause = cause.__cause__ or cause.__context__
    return None


async def _retrying(
    what: str,
    attempt: Callable[[], Awaitable[str | None]],
    reason_of: Callable[[BaseException], str | None],
    delays: Iterator[float],
) -> str | None:
    """Run ``attempt`` until it returns (its answer) or fails for a reason that is not
    ``reason_of``'s; after the last delay, the operator's one line."""
    started = time.monotonic()
    while True:
        try:
            return await attempt()
        except Exception as exc:
            reason = reason_of(exc)
            if reason is None:
                raise
        delay = next(delays, None)
        if delay is None:
            waited = round(time.monotonic() - started)
            return f"cannot reach {what} ({reason}); gave up after {waited} s"
        logger.warning("cannot reach %s (%s); trying again in %.0f s", what, reason, delay)
        await asyncio.sleep(delay)


def _bot_api_reason(exc: BaseException) -> str | None:
    if isinstance(exc, InvalidToken):
        return None
    if isinstance(exc, NetworkError | TimedOut):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


async def wait_for_services(
    settings: Settings, *, delays: Callable[[], Iterator[float]] = backoff_delays
) -> str | None:
    """Wait (with backoff) for the database and the Bot API; None when both answer and the
    schema is current, else one line for the operator."""
    problem = await _retrying(
        "the database",
        lambda: check_schema(settings.database_url),
        database_reason,
        delays(),
    )
    if problem:
        return problem
    assert settings.telegram_bot_token is not None

    async def get_me() -> None:
        assert settings.telegram_bot_token is not None
        bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url,
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(),
        )
        # `async with` shuts the bot's HTTP sessions down on failure too (no "Unclosed
        # client session" at exit).
        async with bot:
            pass

    try:
        return await _retrying("the Bot API", get_me, _bot_api_reason, delays())
    except InvalidToken:
        return "the Bot API rejected TELEGRAM_BOT_TOKEN (ask @BotFather for the right one)"


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A loop of ``kind`` (the ``EVENT_LOOP`` setting): ``uvloop``, the default of ``dars run``,
    or ``asyncio``.

    Every update is socket work on one loop (getUpdates, PostgreSQL, the Bot API, the model).
    asyncio's own loop reads each socket into a fresh 256 KiB buffer shrunk to what arrived,
    which left glibc's heap growing around the holes (RSS up ~0.7 MB a minute with nothing
    leaking); libuv reads into one buffer and spends less CPU doing it (``bench/RESULTS.md``).
    asyncio's loop remains the fallback where uvloop is not installed (it has no Windows build).
    """
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            logger.warning("uvloop is not installed; running on asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def freeze_startup_heap() -> None:
    """Take the objects of a started bot out of the cyclic garbage collector's sight.

    Modules, classes and pools live as long as the process (~165,000 objects, mostly PTB,
    SQLAlchemy and the openai SDK's types). Each full collection walked all of them: ~110 ms
    on the benchmark machine, a stall of every student's update every few seconds under
    load. Frozen, a full collection walks only what was made since (``bench/RESULTS.md``).
    """
    gc.collect()
    gc.freeze()


def frozen_after_start(app: Application) -> Application:
    """Have ``app`` freeze its start-up heap once started (for long-running processes)."""
    post_init = app.post_init

    async def start_then_freeze(app: Application) -> None:
        if post_init is not None:
            await post_init(app)
        freeze_startup_heap()

    app.post_init = start_then_freeze
    return app


def run_polling(settings: Settings) -> int:
    """Check the schema, then poll until interrupted."""
    if settings.telegram_bot_token is None:
        logger.error("TELEGRAM_BOT_TOKEN is not set; use `dars console` to try Dars locally")
        return 2
    problem = asyncio.run(wait_for_services(settings))
    if problem:
        logger.error("%s", problem)
        return 2
    app = frozen_after_start(with_ops_server(build_application(settings), settings))
    # PTB runs on the current loop (and closes it when done).
    asyncio.set_event_loop(new_event_loop(settings.event_loop))
    # The Bot API answered a moment ago: a brief flap during PTB's own start is retried.
    app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=5)
    return 0


# What Telegram accepts as a webhook secret_token, at least 32 characters long (a short
# secret can be guessed: SECURITY-REVIEW.md, finding 9).
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MIN_SECRET_LENGTH = 32


def webhook_problem(settings: Settings) -> str | None:
    """None when the webhook settings are usable, else what the operator has to fix."""
    url = settings.webhook_url
    if not url or settings.webhook_secret is None:
        return "`dars run --webhook` needs WEBHOOK_URL and WEBHOOK_SECRET to be set"
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        return "WEBHOOK_URL must be a full URL such as https://dars.example.org/telegram"
    secret = settings.webhook_secret.get_secret_value()
    if not _SECRET.fullmatch(secret):
        return "WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ and -"
    if len(secret) < MIN_SECRET_LENGTH:
        return (
            f"WEBHOOK_SECRET is {len(secret)} characters long; it must have at least "
            f"{MIN_SECRET_LENGTH} (make one with `openssl rand -hex 32`)"
        )
    return None


def run_webhook(settings: Settings) -> int:
    """Check settings and schema, then serve webhooks until SIGINT or SIGTERM."""
    if settings.telegram_bot_token is None:
        logger.error("TELEGRAM_BOT_TOKEN is not set")
        return 2
    problem = webhook_problem(settings)
    if problem:
        logger.error("%s", problem)
        return 2
    problem = asyncio.run(wait_for_services(settings))
    if problem:
        logger.error("%s", problem)
        return 2
    with asyncio.Runner(loop_factory=lambda: new_event_loop(settings.event_loop)) as runner:
        runner.run(_serve_webhook(settings))
    return 0


async def _serve_webhook(settings: Settings) -> None:
    from bot.serving.webhook import serving

    assert settings.webhook_url is not None and settings.webhook_secret is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = with_ops_server(build_application(settings), settings)
    async with serving(
        app,
        url=settings.webhook_url,
        secret=settings.webhook_secret.get_secret_value(),
        host=settings.webhook_listen,
        port=settings.webhook_port,
        header_timeout=settings.webhook_header_timeout_seconds,
        body_timeout=settings.webhook_body_timeout_seconds,
    ):
        freeze_startup_heap()
        await stop.wait()
