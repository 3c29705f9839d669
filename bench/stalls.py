"""Line the slowest answers of a benchmark's phases up with what the bot logged meanwhile
(``BENCH_LAGLOG=MS``: its event loop fell behind; ``BENCH_GCLOG=MS``: a long collection):
was a slow answer one stall of the bot's loop, a collection, or waiting on something else?

    python -m bench.answers --runs 0 --skip-echo --llm-runs 1 \\
        --bot-env BENCH_LAGLOG=5 --bot-env BENCH_GCLOG=3
    python -m bench.stalls bench/results/answers-YYYYMMDD-HHMMSS.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR

_LAG = re.compile(r"lag ([0-9.]+) ms at ([0-9.]+)")
_GC = re.compile(r"gc gen(\d): ([0-9.]+) ms wall, .* collected at ([0-9.]+)")


@dataclass(frozen=True)
class Event:
    at: float  # monotonic seconds, as logged by the bot
    what: str  # "lag" or "gc0" … "gc2"
    ms: float


def read_events(lines: Iterable[str]) -> list[Event]:
    """The loop lags and collections in a bot's log, in time order."""
    events = []
    for line in lines:
        if m := _LAG.match(line):
            events.append(Event(float(m[2]), "lag", float(m[1])))
        elif m := _GC.match(line):
            events.append(Event(float(m[3]), f"gc{m[1]}", float(m[2])))
    return sorted(events, key=lambda e: e.at)


def phases(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every phase of a saved ``bench.answers`` result that knows when it started."""
    for run in [*result.get("runs", []), *result.get("llm_runs", [])]:
        for phase in run.get("phases", []):
            if "started_monotonic" in phase:
                yield phase


def during(events: list[Event], start: float, ms: float) -> list[Event]:
    """The events while an answer handed out at ``start`` waited ``ms`` for its reply (a lag
    or collection is logged as it ends, so one that began just before is included)."""
    return [e for e in events if start <= e.at <= start + ms / 1000 + 0.001]


def report(result: dict[str, Any], events: list[Event]) -> list[str]:
    lines = []
    for phase in phases(result):
        start = phase["started_monotonic"]
        slowest = phase.get("slowest", [])
        explained = 0
        lines.append(f"{phase['phase']}: p99 {phase['internal_ms']['p99']} ms")
        for answer in slowest:
            seen = during(events, start + answer["at_s"], answer["ms"])
            explained += bool(seen)
            what = ", ".join(f"{e.what} {e.ms:g} ms" for e in seen) or "-"
            lines.append(f"  +{answer['at_s']:7.3f} s  {answer['ms']:6.1f} ms  {what}")
        lines.append(f"  {explained} of the {len(slowest)} slowest overlap a logged stall")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("result", type=Path, help="a saved bench.answers JSON")
    parser.add_argument("--log", type=Path, default=RESULTS_DIR / "bot-dars.log")
    args = parser.parse_args()
    result = json.loads(args.result.read_text())
    with args.log.open(errors="replace") as log:
        events = read_events(log)
    print("\n".join(report(result, events)))


if __name__ == "__main__":
    main()
