"""Shared benchmark plumbing: the bench database, the bot in its own process, quiet-machine
checks, percentiles and a description of the machine."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import operator
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ADMIN_DSN = os.environ.get("DARS_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_DB = "dars_bench"
TOKEN = "123456:BENCH"
LOOPBACK = "127.0.0.1"


# ---------------------------------------------------------------- database


def pg_dsn(database: str) -> str:
    """asyncpg DSN of a database on the admin DSN's server."""
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{database}"


def sa_url(database: str) -> str:
    """SQLAlchemy URL (asyncpg driver) of a database on the admin DSN's server."""
    return pg_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def _check_loopback(dsn: str) -> None:
    host = dsn.split("@", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"benchmarks only talk to loopback databases, not {host!r}")


async def ensure_database(name: str) -> str:
    """Create the database if missing and migrate it to head; returns its SQLAlchemy URL."""
    _check_loopback(ADMIN_DSN)
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    from db import migrate

    url = sa_url(name)
    await asyncio.to_thread(migrate.upgrade, url)
    return url


# ---------------------------------------------------------------- a quiet machine


def machine_busy(max_load: float = 0.7) -> str | None:
    """Why this is not a good moment to measure (None when it is)."""
    load1 = os.getloadavg()[0]
    if load1 >= max_load:
        return f"1-minute load is {load1:.2f} (want < {max_load})"
    found = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True)
    pids = [p for p in found.stdout.split() if p and int(p) != os.getpid()]
    if pids:
        return f"pytest is running (pids {', '.join(pids)})"
    return None


async def wait_until_quiet(*, max_load: float = 0.7, within: float = 1800.0) -> None:
    """Wait (bounded) until no pytest runs and the load is low; fail if that never happens."""
    deadline = time.monotonic() + within
    while (reason := machine_busy(max_load)) is not None:
        if time.monotonic() > deadline:
            raise SystemExit(f"machine still busy after {within:.0f}s: {reason}")
        print(f"  waiting for a quiet machine: {reason}", flush=True)
        await asyncio.sleep(15)


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def save_result(name: str, data: dict[str, Any]) -> Path:
    """Write one run's figures as JSON under bench/results/ (kept out of git by .gitignore)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _proc_facts() -> tuple[str, int]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return cpu, mem_kb


async def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu, mem_kb = _proc_facts()
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "packages": {
            name: _pkg(name)
            for name in (
                "python-telegram-bot",
                "sqlalchemy",
                "asyncpg",
                "httpx",
                "aiohttp",
                "openai",
                "apscheduler",
            )
        },
    }


# ---------------------------------------------------------------- where the CPU went

_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class CpuSnapshot:
    """CPU seconds used so far: the whole machine (busy, all cores), the time the VM's host
    gave our cores to someone else (steal: on a shared VM, why the same run can be slower),
    PostgreSQL (all its processes alive now), and this process (the emulator and the load
    generator)."""

    machine_busy: float
    steal: float
    postgres: dict[int, float]
    generator: float
    wall: float

    @classmethod
    def take(cls) -> CpuSnapshot:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        busy = (sum(fields[:8]) - idle) / _TICKS
        return cls(
            machine_busy=busy,
            steal=fields[7] / _TICKS,
            postgres={pid: _proc_cpu(pid) for pid in _postgres_pids()},
            generator=time.process_time(),
            wall=time.monotonic(),
        )

    def until(self, later: CpuSnapshot) -> dict[str, float]:
        """Cores used on average between the two snapshots, by whom."""
        wall = later.wall - self.wall
        pg = sum(v - self.postgres.get(pid, 0.0) for pid, v in later.postgres.items())
        return {
            "wall_s": round(wall, 3),
            "machine_cores": round((later.machine_busy - self.machine_busy) / wall, 3),
            "steal_cores": round((later.steal - self.steal) / wall, 3),
            "postgres_cores": round(pg / wall, 3),
            "generator_cores": round((later.generator - self.generator) / wall, 3),
        }


# ---------------------------------------------------------------- the bot in its own process


class _ChildProcess:
    """A helper process spoken to over stdio: a command line in, one JSON line out."""

    proc: asyncio.subprocess.Process | None = None

    def _exit_message(self) -> str:
        return "the child process exited"

    async def _readline(self, within: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not raw:
            raise RuntimeError(self._exit_message())
        data: dict[str, Any] = json.loads(raw)
        return data

    async def _ask(self, command: str, within: float = 10.0) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self._readline(within)

    async def stop(self, *, within: float = 30.0) -> None:
        """Ask the child to shut down cleanly; kill it if it does not within ``within``."""
        if self.proc is None or self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class BotProcess(_ChildProcess):
    """A bot (Dars or the echo baseline) run by ``python -m bench.botproc`` in a child process,
    so its CPU time is its own and not the emulator's or the load generator's.

    The child answers ``stats`` on stdin with one JSON line: CPU seconds, RSS and the SQL it
    ran (statements by verb, BEGIN/COMMIT/ROLLBACK, pings of idle pooled connections).
    """

    def __init__(
        self,
        kind: str,
        *,
        base_url: str,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        self.database_url = database_url
        self.env = env or {}
        self.log_path = log_path or RESULTS_DIR / f"bot-{kind}.log"
        self.extra_args = list(extra_args)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, *, ready_within: float = 60.0) -> None:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.base_url,
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        if "OPENAI_API_KEY" not in self.env:
            env.pop("OPENAI_API_KEY", None)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.botproc",
                "--kind",
                self.kind,
                *self.extra_args,
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        finally:
            log.close()
        line = await self._readline(ready_within)
        if line.get("ready") is not True:
            raise RuntimeError(f"bot process did not start: {line}")

    def _exit_message(self) -> str:
        tail = self.log_path.read_text(errors="replace")[-2000:]
        return f"bot process exited; log tail:\n{tail}"

    async def stats(self) -> dict[str, Any]:
        """CPU seconds, RSS and SQL counters of the bot process, right now."""
        return await self._ask("stats")

    def rss_kb(self) -> int:
        """Resident set size read from /proc (works even while the child is busy)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no offset confirmed, claims left behind."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


class ModelProcess(_ChildProcess):
    """The fake model provider in a child process (``python -m bench.modelproc``)."""

    def __init__(self, *, delay: float) -> None:
        self.delay = delay
        self.base_url = ""

    async def __aenter__(self) -> ModelProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.modelproc",
            "--delay",
            str(self.delay),
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.base_url = (await self._readline(30.0))["base_url"]
        return self

    async def stats(self) -> dict[str, Any]:
        """Requests in flight right now, and the process's CPU seconds."""
        return await self._ask("stats")

    async def in_flight(self) -> int:
        return int((await self.stats())["in_flight"])

    async def __aexit__(self, *exc: object) -> None:
        await self.stop(within=10.0)


class BotGroup:
    """Several Dars processes serving one webhook port (``bot.serving.webhook``: SO_REUSEPORT),
    used like one ``BotProcess``: ``stats`` adds their counters up (the longest GC pause is the
    longest of any) and keeps each one's CPU seconds under ``cpu_by_process``."""

    def __init__(self, processes: Sequence[BotProcess]) -> None:
        self.processes = list(processes)
        self.kind = self.processes[0].kind

    @property
    def pid(self) -> int:
        return self.processes[0].pid

    async def start(self) -> None:
        for process in self.processes:
            await process.start()

    async def stop(self) -> None:
        await asyncio.gather(*(process.stop() for process in self.processes))

    async def stats(self) -> dict[str, Any]:
        each = await asyncio.gather(*(process.stats() for process in self.processes))
        total: dict[str, Any] = {}
        for one in each:
            for key, value in one.items():
                if isinstance(value, dict):
                    into = total.setdefault(key, {})
                    merge = max if key == "gc_longest_ms" else operator.add
                    for k, v in value.items():
                        into[k] = merge(into[k], v) if k in into else v
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    total[key] = total.get(key, 0) + value
        total["cpu_by_process"] = {str(i): one["cpu"] for i, one in enumerate(each)}
        return total


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def counters_delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Difference of two ``BotProcess.stats()`` snapshots (numbers and nested counts)."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
            prev = before.get(key) or {}
            out[key] = {k: v - prev.get(k, 0) for k, v in value.items() if v - prev.get(k, 0)}
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = value - before.get(key, 0)
    return out


class GcTimer:
    """Time spent in Python's cyclic garbage collector (for the figures, not a fix):
    in total, and per generation the number of collections and the longest pause since
    the previous ``snapshot``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._counts = {"0": 0, "1": 0, "2": 0}
        self._longest = {"0": 0.0, "1": 0.0, "2": 0.0}
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        generation = str(info.get("generation", 2))
        self.seconds += pause
        self.collections += 1
        self._counts[generation] += 1
        self._longest[generation] = max(self._longest[generation], pause * 1000)

    def snapshot(self) -> dict[str, Any]:
        """Running totals (``counters_delta`` subtracts them) and the longest pauses since
        the last snapshot, in ms."""
        longest = {g: round(ms, 2) for g, ms in self._longest.items()}
        self._longest = dict.fromkeys(self._longest, 0.0)
        return {
            "gc_s": self.seconds,
            "gc_collections": self.collections,
            "gc_counts": dict(self._counts),
            "gc_longest_ms": longest,
        }
