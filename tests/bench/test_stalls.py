"""``bench.stalls`` reads what the bot process logs (``BENCH_LAGLOG``, ``BENCH_GCLOG``) and
finds it again beside the slowest answers of a saved result."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from bench.botproc import _log_long_collections, _log_loop_lag, _watch_blocks
from bench.stalls import read_events, report


async def test_a_blocked_loop_and_a_collection_are_logged_and_matched_to_the_slow_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    callbacks = list(gc.callbacks)
    _log_long_collections(0.0)
    watcher = asyncio.create_task(_log_loop_lag(20.0))
    try:
        await asyncio.sleep(0.01)
        handed_out = time.monotonic()
        # The loop is stuck on purpose: the watcher's 1 ms timer fires ~50 ms late.
        time.sleep(0.05)  # noqa: ASYNC251
        await asyncio.sleep(0.01)
        gc.collect()
    finally:
        watcher.cancel()
        gc.callbacks[:] = callbacks
    events = read_events(capsys.readouterr().err.splitlines())
    lags = [e for e in events if e.what == "lag"]
    assert any(40 <= e.ms < 1000 for e in lags)
    assert any(e.what == "gc2" for e in events)

    result = {
        "llm_runs": [
            {
                "phases": [
                    {
                        "phase": "dars 50/s, 100 model calls in flight",
                        "internal_ms": {"p99": 100.0},
                        "started_monotonic": handed_out - 1.0,
                        "slowest": [
                            {"at_s": 0.5, "ms": 9.0},  # long before the stall
                            {"at_s": 1.0, "ms": 100.0},  # waiting through it
                        ],
                    }
                ]
            }
        ]
    }
    lines = report(result, events)
    assert lines[1].endswith("-")
    assert "lag" in lines[2]
    assert lines[-1] == "  1 of the 2 slowest overlap a logged stall"


def _stuck_on_purpose() -> None:
    time.sleep(0.08)


async def test_a_blocked_loop_is_logged_with_what_it_was_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    timer = asyncio.create_task(_log_loop_lag(1000.0))
    stop = _watch_blocks(20.0)
    try:
        await asyncio.sleep(0.02)
        _stuck_on_purpose()
        await asyncio.sleep(0.02)
    finally:
        stop.set()
        timer.cancel()
    blocks = [line for line in capsys.readouterr().err.splitlines() if line.startswith("block")]
    assert blocks, "an 80 ms block went unlogged"
    assert any("_stuck_on_purpose" in line for line in blocks)
