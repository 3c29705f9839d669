"""The bot side of a benchmark, in a process of its own: Dars (``--kind dars``, built by
``build_application`` exactly as ``dars run`` builds it) or a bare PTB echo bot
(``--kind echo``). Settings come from the environment, as for ``dars run``; both bots run
on the event loop ``dars run`` would (``EVENT_LOOP``).

Protocol on stdio: one JSON line ``{"ready": true}`` once polling (or, ``--webhook``, serving
webhooks as ``dars run --webhook`` does); then each ``stats`` line
on stdin is answered with one JSON line (CPU seconds, RSS and where the memory is, SQL
counters); ``quit`` or EOF shuts the bot down cleanly. Logs go to stderr.

Experiments (environment): ``BENCH_FREEZE=0`` leaves the start-up heap to the garbage
collector; ``BENCH_GC0=N`` sets the young generation's threshold (700 by default), ``BENCH_GC1=N``
the middle one's (10); ``BENCH_POOL=N`` sizes the echo bot's Bot API pool;
``BENCH_TRACEMALLOC=SECONDS`` logs where the heap grew, every SECONDS; ``BENCH_GCLOG=MS``
logs collections longer than MS (``BENCH_GCLIST=1``: with what they held) and
``BENCH_LAGLOG=MS`` the moments the event loop fell MS behind (``BENCH_BLOCKLOG=MS`` too:
what the loop ran meanwhile), all with the monotonic time ``python -m bench.stalls`` lines
up with the slowest answers; ``BENCH_CPUS=0,1`` pins the bot to those
cores (``bench.answers --pin``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bench.common import GcTimer
from bot.app import build_application, running
from bot.config import Settings, configure_logging
from bot.serving.runner import frozen_after_start, new_event_loop
from bot.serving.webhook import serving
from db import engine as db_engine


class SqlCounter:
    """Counts what one engine sends to the database: statements by verb, transactions, pings.

    BEGIN and COMMIT are separate round trips with asyncpg (SQLAlchemy starts the
    transaction lazily before the first statement); a connection in autocommit sends
    neither, so its logical transactions are not counted. A ping (of a connection idle for
    a while, see ``db.engine``) is one round trip (``;``).

    It wraps the dialect's ``do_*`` methods rather than listening to engine events: one
    connection event listener makes SQLAlchemy dispatch every event hook of every
    statement (about 2 % of the bot's CPU per answer), which the bot does not pay when it
    is not measured.
    """

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.begin = 0
        self.commit = 0
        self.rollback = 0
        self.ping = 0
        self.connect = 0

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        dialect = sync.dialect
        execute, begin, commit, rollback = (
            dialect.do_execute,
            dialect.do_begin,
            dialect.do_commit,
            dialect.do_rollback,
        )

        def sent(dbapi_connection: Any) -> bool:
            return not getattr(dbapi_connection, "autocommit", False)

        def do_execute(cursor: Any, statement: str, *args: Any) -> None:
            self.statements[statement.split(None, 1)[0].upper()] += 1
            execute(cursor, statement, *args)

        def do_begin(dbapi_connection: Any) -> None:
            self.begin += sent(dbapi_connection)
            begin(dbapi_connection)

        def do_commit(dbapi_connection: Any) -> None:
            self.commit += sent(dbapi_connection)
            commit(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            self.rollback += 1
            rollback(dbapi_connection)

        # Instrumentation, as for ping below: instance attributes over the dialect's methods.
        for name, method in (
            ("do_execute", do_execute),
            ("do_begin", do_begin),
            ("do_commit", do_commit),
            ("do_rollback", do_rollback),
        ):
            setattr(dialect, name, method)

        def on_connect(_dbapi_connection: Any, _record: Any) -> None:
            self.connect += 1

        event.listen(sync, "connect", on_connect)

        ping = db_engine.ping

        def counted_ping(dbapi_connection: Any) -> None:
            self.ping += 1
            ping(dbapi_connection)

        db_engine.ping = counted_ping  # instrumentation: db.engine looks it up on each use

    def snapshot(self) -> dict[str, Any]:
        return {
            "statements": dict(self.statements),
            "begin": self.begin,
            "commit": self.commit,
            "rollback": self.rollback,
            "ping": self.ping,
            "connect": self.connect,
        }


async def _log_heap_growth(every: float) -> None:
    """Experiment (``BENCH_TRACEMALLOC=SECONDS``): every so often, log to stderr where the
    memory allocated since the first snapshot (taken one period in) was allocated."""
    import tracemalloc

    tracemalloc.start(5)
    await asyncio.sleep(every)
    first = tracemalloc.take_snapshot()
    while True:
        await asyncio.sleep(every)
        growth = tracemalloc.take_snapshot().compare_to(first, "traceback")
        lines = [f"heap growth since the first snapshot ({every:g} s in), top 12:"]
        for stat in growth[:12]:
            lines.append(f"  {stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks:")
            lines.extend(f"      {frame}" for frame in stat.traceback.format()[-6:])
        print("\n".join(lines), file=sys.stderr, flush=True)


def _log_long_collections(threshold_ms: float) -> None:
    """Experiment (``BENCH_GCLOG=MS``): log each collection longer than MS to stderr, with
    the CPU time it used (less than its wall time: the process lost its core meanwhile) and
    what the collected generation held (``BENCH_GCLIST=1``: slows every collection)."""
    started = [0.0, 0.0]
    held = ""
    listing = os.environ.get("BENCH_GCLIST") == "1"

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        nonlocal held
        if phase == "start":
            if listing:
                objects = gc.get_objects(info["generation"])
                most = Counter(map(_type_name, objects)).most_common(8)
                held = f"{len(objects)} objects, most {most}"
                del objects
            started[:] = [time.perf_counter(), time.process_time()]
            return
        wall = (time.perf_counter() - started[0]) * 1000
        if wall >= threshold_ms:
            cpu = (time.process_time() - started[1]) * 1000
            print(
                f"gc gen{info['generation']}: {wall:.1f} ms wall, {cpu:.1f} ms cpu, "
                f"{info['collected']} collected at {time.monotonic():.3f}; {held}",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(on_gc)


async def _log_loop_lag(threshold_ms: float) -> None:
    """Experiment (``BENCH_LAGLOG=MS``): log to stderr each time the event loop ran a 1 ms
    timer at least MS late (the loop was busy or the process had no core), with when it
    caught up (the monotonic clock, as collections are logged)."""
    while True:
        due = time.monotonic() + 0.001
        await asyncio.sleep(0.001)
        now = time.monotonic()
        if _ticks:
            _ticks[-1] = now
        late = (now - due) * 1000
        if late >= threshold_ms:
            print(f"lag {late:.1f} ms at {now:.3f}", file=sys.stderr, flush=True)


def _watch_blocks(threshold_ms: float) -> threading.Event:
    """Experiment (``BENCH_BLOCKLOG=MS``, beside ``BENCH_LAGLOG``'s timer): a thread that,
    whenever the event loop has not run that 1 ms timer for MS, samples what the loop's
    thread is running every 2 ms until it runs again, and logs each distinct stack once per
    block. Set the returned event to stop it."""
    main = threading.get_ident()
    stop = threading.Event()
    _ticks[:] = [time.monotonic()]

    def watch() -> None:
        seen: set[str] = set()
        while not stop.wait(0.002):
            late = (time.monotonic() - _ticks[-1]) * 1000
            if late < threshold_ms:
                seen.clear()
                continue
            frame = sys._current_frames().get(main)
            if frame is None:
                continue
            stack = " < ".join(
                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in reversed(traceback.extract_stack(frame)[-12:])
            )
            if stack not in seen:
                seen.add(stack)
                print(
                    f"block {late:.1f} ms at {time.monotonic():.3f}: {stack}",
                    file=sys.stderr,
                    flush=True,
                )
        _ticks.clear()

    threading.Thread(target=watch, daemon=True).start()
    return stop


_ticks: list[float] = []  # when BENCH_LAGLOG's timer last ran, while a block watcher is on


def _type_name(obj: object) -> str:
    return type(obj).__qualname__


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _memory() -> dict[str, int]:
    """Where the resident memory is, in KiB: Python objects in pymalloc's arenas (used and
    allocated), and glibc malloc's heap (in use, free but kept, mmapped) for everything
    bigger than 512 bytes and for C extensions' buffers."""
    figures: dict[str, int] = {}
    with tempfile.TemporaryFile() as out:  # sys._debugmallocstats writes to C's stderr
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        for line in out.read().decode(errors="replace").splitlines():
            name, _, value = line.partition("=")
            if name.startswith("# arenas allocated current"):
                figures["pymalloc_arenas"] = int(value.replace(",", ""))
            elif name.startswith("# bytes in allocated blocks"):
                figures["pymalloc_used_kb"] = int(value.replace(",", "")) // 1024
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:  # not glibc ≥ 2.33
        return figures
    mallinfo2.restype = _MallInfo2
    m = mallinfo2()
    figures |= {
        "malloc_used_kb": m.uordblks // 1024,
        "malloc_free_kb": m.fordblks // 1024,
        "malloc_mmap_kb": m.hblkhd // 1024,
    }
    return figures


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def build_echo(settings: Settings) -> Application:
    """A bare PTB bot that sends every text back; same Bot API pool and concurrency as Dars."""
    assert settings.telegram_bot_token is not None

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send the text back to the chat it came from."""
        assert update.effective_chat is not None and update.effective_message is not None
        await update.effective_chat.send_message(update.effective_message.text or "")

    app = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(settings.concurrent_updates)
        .connection_pool_size(
            int(os.environ.get("BENCH_POOL") or max(8, settings.concurrent_updates // 2))
        )
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


@contextlib.asynccontextmanager
async def _without_polling(app: Application) -> AsyncIterator[Application]:
    """Like ``bot.app.running`` minus the polling: the JobQueue runs, no updates are fetched
    (as in a webhook worker; two such processes can share one bot token)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def _serving(app: Application, settings: Settings, mode: str) -> Any:
    """How updates reach the bot: long polling, webhooks (as ``dars run --webhook``), or none."""
    if mode == "webhook":
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        return serving(
            app,
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            host=settings.webhook_listen,
            port=settings.webhook_port,
        )
    if mode == "jobs":
        return _without_polling(app)
    return running(app, poll_timeout=10)


async def _serve(kind: str, *, mode: str) -> None:
    settings = Settings()
    gc_timer = GcTimer()
    counter = SqlCounter()
    if kind == "echo":
        app = build_echo(settings)
    elif os.environ.get("BENCH_FREEZE") == "0":
        app = build_application(settings)
    else:
        app = frozen_after_start(build_application(settings))
    if os.environ.get("BENCH_GCLOG"):  # experiment: what the long collections are
        _log_long_collections(float(os.environ["BENCH_GCLOG"]))
    if os.environ.get("BENCH_CPUS"):  # experiment: the bot on cores of its own
        os.sched_setaffinity(0, {int(c) for c in os.environ["BENCH_CPUS"].split(",")})
    if os.environ.get("BENCH_GC0"):  # experiment: the young generation's threshold
        gc.set_threshold(int(os.environ["BENCH_GC0"]), *gc.get_threshold()[1:])
    if os.environ.get("BENCH_GC1"):  # experiment: young collections per middle one
        young, _, old = gc.get_threshold()
        gc.set_threshold(young, int(os.environ["BENCH_GC1"]), old)
    async with _serving(app, settings, mode):
        engine = getattr(app.bot_data, "engine", None)  # the echo bot keeps a dict
        if engine is not None:
            counter.attach(engine)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        print(json.dumps({"ready": True}), flush=True)
        heap = (
            asyncio.create_task(_log_heap_growth(float(os.environ["BENCH_TRACEMALLOC"])))
            if os.environ.get("BENCH_TRACEMALLOC")
            else None
        )
        if os.environ.get("BENCH_BLOCKLOG"):
            _watch_blocks(float(os.environ["BENCH_BLOCKLOG"]))
        lag = (
            asyncio.create_task(_log_loop_lag(float(os.environ["BENCH_LAGLOG"])))
            if os.environ.get("BENCH_LAGLOG")
            else None
        )
        while line := await reader.readline():
            command = line.decode().strip()
            if command == "stats":
                stats = {
                    "cpu": time.process_time(),
                    "rss_kb": _rss_kb(),
                    "memory": _memory(),
                    **gc_timer.snapshot(),
                    **counter.snapshot(),
                }
                print(json.dumps(stats), flush=True)
            elif command == "quit":
                break
        for task in (heap, lag):
            if task is not None:
                task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("dars", "echo"), default="dars")
    updates = parser.add_mutually_exclusive_group()
    updates.add_argument(
        "--no-polling", action="store_true", help="run the jobs only (reminder fan-outs)"
    )
    updates.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by webhook (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_PORT, Dars only)",
    )
    args = parser.parse_args()
    mode = "jobs" if args.no_polling else "webhook" if args.webhook else "poll"
    settings = Settings()
    configure_logging(settings)
    # Both bots on the same loop, so the ratio compares like with like.
    with asyncio.Runner(loop_factory=lambda: new_event_loop(settings.event_loop)) as runner:
        runner.run(_serve(args.kind, mode=mode))


if __name__ == "__main__":
    main()
