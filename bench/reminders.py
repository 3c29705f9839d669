"""Reminder fan-out benchmark: the real Dars Application (its JobQueue reminder job) reminds
every due student through the Bot API emulator, which enforces Telegram's flood limits
(30 messages/s overall, 1/s per chat, 429 with retry_after past them) and refuses 5% of the
chats (blocked the bot).

Scenarios (``--scenario``):
  one      one bot process, the sender at SEND_RATE_PER_SECOND (25/s)
  two      two bot processes of the same bot at once, each at half the budget (12.5/s)
  two-full two bot processes at once, each at the full 25/s (what a careless setting does)
  kill     two processes at 12.5/s; one is SIGKILLed halfway and restarted; its claims are
           then aged past STALE_AFTER (10 minutes, simulated: see --help of this option)

Reported: achieved send rate (attempts and deliveries per second, steady state, as a
fraction of the configured budget), 429 answers, duplicates (a chat reminded twice), losses
(a reachable due student never reminded), the ledger's final statuses.

    python -m bench.reminders --scenario one --students 10000
    python -m bench.reminders --scenario one --students 3000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.common import (
    TOKEN,
    BotProcess,
    CpuSnapshot,
    ensure_database,
    machine_info,
    median,
    pg_dsn,
    save_result,
    wait_until_quiet,
)
from bot.services.deliveries import IN_DOUBT, STALE_AFTER
from botapi_emulator import BotApiEmulator

DEFAULT_DB = "dars_bench_reminders"
FIRST_TELEGRAM_ID = 800_000_000
BLOCKED_EVERY = 20  # 5% of the chats have blocked the bot
TABLES = "deliveries, streaks, responses, practice_sessions, students"


def _zone_away_from_midnight() -> str:
    """A zone where it is not near midnight, so "today" holds still during the run."""
    now = dt.datetime.now(dt.UTC)
    for zone in ("Asia/Dhaka", "Europe/London", "America/New_York"):
        if 1 <= now.astimezone(ZoneInfo(zone)).hour <= 22:
            return zone
    raise RuntimeError("unreachable: those zones are at least five hours apart")


async def prepare_students(dsn: str, count: int) -> list[int]:
    """A fresh set of ``count`` students, all due now (reminder time 00:00 local)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
        await conn.execute(
            """
            INSERT INTO students (telegram_id, name, grade, language, timezone, reminder_time,
                                  reachable, created_at, updated_at)
            SELECT $1::bigint + i, 'S' || i, 6 + i % 3,
                   CASE WHEN i % 10 = 0 THEN 'bn' ELSE 'en' END, $3, TIME '00:00', true,
                   now() - interval '3 days', now() - interval '3 days'
            FROM generate_series(0, $2::int - 1) AS i
            """,
            FIRST_TELEGRAM_ID,
            count,
            _zone_away_from_midnight(),
        )
        await conn.execute("ANALYZE students")
    finally:
        await conn.close()
    return [FIRST_TELEGRAM_ID + i for i in range(count)]


async def in_doubt(dsn: str) -> int:
    """Claims given up because the request may have left before the worker died."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM deliveries WHERE last_error = $1", IN_DOUBT)
        )
    finally:
        await conn.close()


async def ledger(dsn: str) -> Counter[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
    finally:
        await conn.close()
    return Counter({r["status"]: r["n"] for r in rows})


async def age_claims(dsn: str) -> int:
    """Move every open claim back past STALE_AFTER, as if ten minutes had gone by."""
    conn = await asyncpg.connect(dsn)
    try:
        status = await conn.execute(
            "UPDATE deliveries SET claimed_at = claimed_at - make_interval(secs => $1)"
            " WHERE status = 'claimed'",
            (STALE_AFTER + dt.timedelta(minutes=1)).total_seconds(),
        )
    finally:
        await conn.close()
    return int(status.split()[-1])


def _sends(emu: BotApiEmulator, students: set[int]) -> list[Any]:
    return [c for c in emu.calls if c.method == "sendMessage" and c.chat_id in students]


def steady_rate(times: list[float]) -> float | None:
    """Messages per second between the first and the last one (n-1 intervals)."""
    if len(times) < 2:
        return None
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0])


async def run_scenario(args: argparse.Namespace, url: str, run: int) -> dict[str, Any]:
    dsn = pg_dsn(args.db)
    ids = await prepare_students(dsn, args.students)
    blocked = {tid for i, tid in enumerate(ids) if i % BLOCKED_EVERY == BLOCKED_EVERY - 1}
    reachable = set(ids) - blocked
    scenario = args.scenario
    processes = 1 if scenario == "one" else 2
    per_process = args.budget if scenario in ("one", "two-full") else args.budget / 2
    env = {
        "SEND_RATE_PER_SECOND": f"{per_process:g}",
        "REMINDER_CHECK_INTERVAL_SECONDS": "5",
        "LOG_LEVEL": "INFO",
    }
    expected = len(ids) / min(30.0, per_process * processes)
    limit = expected * 2 + 120 + (STALE_AFTER.total_seconds() if scenario == "kill" else 0)
    out: dict[str, Any] = {
        "run": run,
        "scenario": scenario,
        "students": len(ids),
        "blocked_chats": len(blocked),
        "processes": processes,
        "rate_per_process": per_process,
        "budget": args.budget,
        "response_delay_s": args.response_delay,
    }
    async with BotApiEmulator(token=TOKEN) as emu:
        emu.forbidden_chats.update(blocked)
        emu.set_rate_limits(global_per_second=30, per_chat_per_second=1)
        emu.response_delay = args.response_delay

        def bot(n: int) -> BotProcess:
            return BotProcess(
                "dars",
                base_url=emu.base_url,
                database_url=url,
                env=env,
                extra_args=["--no-polling"],
                log_path=args.log_dir / f"reminders-{scenario}-{n}.log",
            )

        bots = [bot(n) for n in range(processes)]
        cpu0 = CpuSnapshot.take()
        started = time.monotonic()
        async with contextlib.AsyncExitStack() as stack:
            for b in bots:
                await b.start()
                stack.push_async_callback(b.stop)
            deadline = started + limit
            if scenario == "kill":
                while len(_sends(emu, set(ids))) < len(ids) // 2:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the fan-out never got halfway")
                    await asyncio.sleep(0.05)
                await bots[0].kill()
                out["killed_after_sends"] = len(_sends(emu, set(ids)))
                out["killed_at_s"] = round(time.monotonic() - started, 1)
                await asyncio.sleep(1.0)
                restarted = bot(2)
                await restarted.start()
                stack.push_async_callback(restarted.stop)
            aged = False
            while True:
                statuses = await ledger(dsn)
                settled = statuses["sent"] + statuses["gave_up"]
                if settled >= len(ids):
                    break
                if scenario == "kill" and not aged:
                    # Everything the living workers can do is done once only the dead
                    # worker's claims are left open and nothing has moved for a while.
                    open_claims = statuses["claimed"]
                    if open_claims and settled + open_claims >= len(ids):
                        await asyncio.sleep(6.0)  # one more reminder run: nothing changes
                        if (await ledger(dsn)) == statuses:
                            out["stale_claims_aged"] = await age_claims(dsn)
                            out["aged_at_s"] = round(time.monotonic() - started, 1)
                            aged = True
                if time.monotonic() > deadline:
                    out["timed_out"] = True
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # anything still on its way arrives
        cpu = cpu0.until(CpuSnapshot.take())
        sends = _sends(emu, set(ids))
    ok = [c for c in sends if c.ok]
    received = Counter(c.chat_id for c in ok)
    attempts_non_429 = [c for c in sends if c.status != 429]
    out |= {
        "elapsed_s": round(time.monotonic() - started, 1),
        "attempts": len(sends),
        "delivered": len(ok),
        "answered_429": sum(1 for c in sends if c.status == 429),
        "answered_403": sum(1 for c in sends if c.status == 403),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "lost": sorted(tid for tid in reachable if tid not in received)[:50],
        "lost_count": sum(1 for tid in reachable if tid not in received),
        "ledger": dict(await ledger(dsn)),
        "given_up_in_doubt": await in_doubt(dsn),
        "cores": cpu,
    }
    # The rate: attempts that Telegram did not refuse for flooding, over the steady part of
    # the fan-out (the first send to the last), against the configured budget.
    rate = steady_rate([c.at for c in attempts_non_429])
    out["send_rate_per_s"] = round(rate, 2) if rate else None
    total_budget = per_process * processes
    out["fraction_of_budget"] = round(rate / min(total_budget, 30.0), 3) if rate else None
    if scenario == "kill":
        # The overall rate includes the simulated ten minutes; what matters is the rate
        # while both workers ran, and that the rest was finished once the claims were stale.
        kill_at = started + out["killed_at_s"]
        before_rate = steady_rate([c.at for c in attempts_non_429 if c.at < kill_at])
        out["rate_before_kill_per_s"] = round(before_rate, 2) if before_rate else None
        out["fraction_of_budget"] = (
            round(before_rate / min(total_budget, 30.0), 3) if before_rate else None
        )
    _print(out)
    return out


def _print(r: dict[str, Any]) -> None:
    keys = (
        "scenario",
        "students",
        "elapsed_s",
        "send_rate_per_s",
        "fraction_of_budget",
        "answered_429",
        "duplicates",
        "lost_count",
        "ledger",
        "given_up_in_doubt",
        "killed_after_sends",
        "stale_claims_aged",
        "rate_before_kill_per_s",
    )
    print("    " + ", ".join(f"{k}={r.get(k)}" for k in keys), flush=True)


async def main_async(args: argparse.Namespace) -> None:
    url = await ensure_database(args.db)
    results: dict[str, Any] = {"machine": await machine_info(), "args": vars(args), "runs": []}
    for run in range(1, args.runs + 1):
        if not args.no_wait:
            await wait_until_quiet()
        print(f"== {args.scenario}, run {run}/{args.runs}", flush=True)
        results["runs"].append(await run_scenario(args, url, run))
    rates = [r["fraction_of_budget"] or 0.0 for r in results["runs"]]
    results["headline"] = {
        "fraction_of_budget": {"median": median(rates), "values": rates},
        "answered_429": [r["answered_429"] for r in results["runs"]],
        "duplicates": [r["duplicates"] for r in results["runs"]],
        "lost": [r["lost_count"] for r in results["runs"]],
    }
    path = save_result(f"reminders-{args.scenario}", results)
    print(json.dumps(results["headline"], indent=2))
    print(f"== saved {path}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from pathlib import Path

    from bench.common import RESULTS_DIR

    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scenario", choices=("one", "two", "two-full", "kill"), default="one")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--budget", type=float, default=25.0, help="SEND_RATE_PER_SECOND for the whole bot"
    )
    parser.add_argument(
        "--response-delay",
        type=float,
        default=0.1,
        help="seconds the emulator takes per Bot API request (Telegram's own latency); "
        "it also leaves requests in flight when the kill scenario kills a worker",
    )
    parser.add_argument("--db", default=DEFAULT_DB, help="its own database, emptied each run")
    parser.add_argument("--log-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 20_000 or not 1 <= args.runs <= 5:
        parser.error("--students must be 1-20000 and --runs 1-5")
    if not 0 < args.budget <= 30:
        parser.error("--budget must be in (0, 30]")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
