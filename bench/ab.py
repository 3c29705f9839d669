"""A/B: two bot processes (Dars, or the echo baseline) that differ only in their environment,
measured alternately (a 50/s phase and a saturation burst each, ``--rounds`` times), so that
the drift of a noisy machine hits both alike. Prints the median of each figure per side.

    python -m bench.ab --b BENCH_FREEZE=0             # what freezing the start-up heap gives
    python -m bench.ab --a CONCURRENT_UPDATES=16 --b CONCURRENT_UPDATES=64
    python -m bench.ab --kind echo --a BENCH_POOL=16 --b BENCH_POOL=32   # Bot API pool size
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from bench.answers import MAIN_POOL, Bench, _pick
from bench.common import BotProcess, median, save_result, wait_until_quiet
from bench.load import ReplyTracker


async def main_async(args: argparse.Namespace) -> None:
    bench = Bench(args)
    await bench.prepare()
    if not args.no_wait:
        await wait_until_quiet()
    pool = bench.pool(MAIN_POOL)
    sides = {"a": args.a, "b": args.b}
    figures: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    async with contextlib.AsyncExitStack() as stack:
        bots: dict[str, tuple[BotProcess, ReplyTracker]] = {}
        for side, extra in sides.items():
            emu = await bench._emulator()
            stack.push_async_callback(emu.stop)
            tracker = ReplyTracker(emu)
            stack.callback(tracker.close)
            env = bench._bot_env()
            for item in extra:
                key, _, value = item.partition("=")
                env[key] = value
            bot = BotProcess(
                args.kind,
                base_url=emu.base_url,
                database_url=bench.url if args.kind == "dars" else None,
                env=env,
            )
            await bot.start()
            stack.push_async_callback(bot.stop)
            await bench.warm_up(bot, tracker, pool)
            bots[side] = (bot, tracker)
        for round_ in range(args.rounds):
            order = ("a", "b") if round_ % 2 == 0 else ("b", "a")
            for side in order:
                bot, tracker = bots[side]
                seed = 50_000 + round_ * 10 + (side == "b")
                low = await bench.phase(
                    bot,
                    tracker,
                    f"{side} 50/s",
                    _pick(pool, int(50 * args.seconds), seed),
                    rate=50.0,
                    seed=seed,
                )
                sat = await bench.phase(
                    bot,
                    tracker,
                    f"{side} saturation",
                    _pick(pool, args.burst, seed + 5),
                    rate=None,
                    seed=seed + 5,
                )
                figures[side].append({"low": low, "saturation": sat})
    summary: dict[str, Any] = {}
    for side, rounds in figures.items():
        summary[side] = {
            "env": sides[side],
            "saturation_per_s": _spread([r["saturation"]["rate_per_s"] for r in rounds]),
            "saturation_cpu_ms": _spread([r["saturation"]["cpu_ms_per_answer"] for r in rounds]),
            "p50_ms_at_50": _spread([r["low"]["internal_ms"]["p50"] for r in rounds]),
            "p99_ms_at_50": _spread([r["low"]["internal_ms"]["p99"] for r in rounds]),
            "cpu_ms_at_50": _spread([r["low"]["cpu_ms_per_answer"] for r in rounds]),
        }
    path = save_result("ab", {"args": vars(args), "summary": summary, "rounds": figures})
    print(json.dumps(summary, indent=2))
    print(f"== saved {path}")


def _spread(values: list[float]) -> dict[str, Any]:
    return {"median": median(values), "values": values}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ab",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--kind", choices=("dars", "echo"), default="dars")
    parser.add_argument("--a", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--b", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the 50/s phase")
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--db", default="dars_bench")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--reply-timeout", type=float, default=120.0)
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 10 or not 0 < args.seconds <= 120:
        parser.error("--rounds must be 1-10 and --seconds in (0, 120]")
    # What Bench reads of its own options.
    args.concurrent_updates, args.bot_env = 0, []
    return args


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
