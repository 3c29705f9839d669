"""Flood benchmark: one user sends 200 messages a second while other students answer at 50/s.

The real Dars application runs in its own process (``bench.botproc``) and polls the Bot API
emulator; the other students' answers are pushed open loop (``bench.load``), exactly as in
``bench.answers``. Phases alternate, unflooded and flooded, so a machine shared with other
work drifts both alike; each round gives the ratio of the students' internal p99 (flooded /
unflooded) and the headline is the median ratio. The target (issue 23): at most 1.2.

    python -m bench.flood                          # 3 rounds of 2 x 20 s, about 5 minutes
    python -m bench.flood --rounds 1 --seconds 5   # a quick look
    python -m bench.flood --bot-env FLOOD_RATE_PER_SECOND=0   # the same without flood control
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

from bench.answers import MAIN_POOL, Bench, _pick
from bench.common import machine_info, median, save_result, wait_until_quiet
from bench.load import ReplyTracker
from bot.texts import t
from botapi_emulator import BotApiEmulator

FLOODER_ID = 990_000_001


async def flood(emu: BotApiEmulator, *, rate: float, stop: asyncio.Event) -> int:
    """Push a message from one user ``rate`` times a second until ``stop``; how many."""
    start = time.monotonic()
    pushed = 0
    while not stop.is_set():
        due = int((time.monotonic() - start) * rate) + 1
        while pushed < due:
            emu.push_message(FLOODER_ID, f"{pushed % 97}", first_name="Flood")
            pushed += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + pushed / rate - time.monotonic()))
    return pushed


async def run(args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(args)
    print("== preparing data", flush=True)
    await bench.prepare()
    out: dict[str, Any] = {"machine": await machine_info(), "args": vars(args), "rounds": []}
    pool = bench.pool(MAIN_POOL)
    count = int(args.rate * args.seconds)
    async with contextlib.AsyncExitStack() as stack:
        emu = await bench._emulator()
        stack.push_async_callback(emu.stop)
        tracker = ReplyTracker(emu)
        stack.callback(tracker.close)
        bot = bench._dars(emu, bench._bot_env())
        await bot.start()
        stack.push_async_callback(bot.stop)
        await bench.warm_up(bot, tracker, pool)
        for number in range(args.rounds):
            if not args.no_wait:
                await wait_until_quiet()
            # Alternate which comes first, so a drifting machine favours neither.
            order = (False, True) if number % 2 == 0 else (True, False)
            phases: dict[str, dict[str, Any]] = {}
            for flooded in order:
                name = "flooded" if flooded else "unflooded"
                seed = 5000 + number * 10 + int(flooded)
                students = _pick(pool, count, seed=seed)
                stop = asyncio.Event()
                sent_before = len(emu.calls_to("sendMessage", FLOODER_ID))
                flooder = (
                    asyncio.create_task(flood(emu, rate=args.flood_rate, stop=stop))
                    if flooded
                    else None
                )
                result = await bench.phase(
                    bot, tracker, f"{name} {number + 1}", students, rate=args.rate, seed=seed
                )
                stop.set()
                if flooder is not None:
                    replies = [
                        c.params.get("text", "")
                        for c in emu.calls_to("sendMessage", FLOODER_ID)[sent_before:]
                    ]
                    result["flooder"] = {
                        "pushed": await flooder,
                        "replies": len(replies),
                        "slow_down": sum(1 for r in replies if r == t("en", "slow_down")),
                    }
                phases[name] = result
                # Let the flooder's bucket fill up and the queue drain before the next phase.
                await asyncio.sleep(args.pause)
            quiet = phases["unflooded"]["internal_ms"]["p99"]
            loud = phases["flooded"]["internal_ms"]["p99"]
            entry = {
                "round": number + 1,
                "order": ["flooded" if f else "unflooded" for f in order],
                "unflooded_p99_ms": quiet,
                "flooded_p99_ms": loud,
                "ratio": round(loud / quiet, 3) if quiet else None,
                "unflooded_p50_ms": phases["unflooded"]["internal_ms"]["p50"],
                "flooded_p50_ms": phases["flooded"]["internal_ms"]["p50"],
                "flooder": phases["flooded"].get("flooder"),
                "all_replied": all(p["all_replied"] for p in phases.values()),
                "sql_per_answer": {
                    k: p["sql"]["statements_per_answer"] for k, p in phases.items()
                },
            }
            print(json.dumps(entry), flush=True)
            out["rounds"].append(entry | {"phases": phases})
    ratios = [r["ratio"] for r in out["rounds"] if r["ratio"] is not None]
    out["headline"] = {
        "median_ratio_p99": round(median(ratios), 3) if ratios else None,
        "ratios": ratios,
        "target": 1.2,
        "unflooded_p99_ms": [r["unflooded_p99_ms"] for r in out["rounds"]],
        "flooded_p99_ms": [r["flooded_p99_ms"] for r in out["rounds"]],
        "disturbed": bench.disturbed,
    }
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    parser.add_argument("--db", default="dars_bench_flood", help="benchmark database")
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=50.0, help="other students' answers/s")
    parser.add_argument("--flood-rate", type=float, default=200.0, help="the flooder's msgs/s")
    parser.add_argument("--pause", type=float, default=6.0, help="seconds between phases")
    parser.add_argument("--reply-timeout", type=float, default=120.0)
    parser.add_argument("--concurrent-updates", type=int, default=None)
    parser.add_argument(
        "--bot-env", action="append", default=[], help="KEY=VALUE for the bot process"
    )
    parser.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")
    args = parser.parse_args(argv)
    args.webhook = 0
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    results = asyncio.run(run(args))
    path = save_result("flood", results)
    print(json.dumps(results["headline"], indent=2))
    print(f"== saved {path}")


if __name__ == "__main__":
    main()
