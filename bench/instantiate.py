"""What drawing a template's variant costs: ``instantiate(spec, seed)`` over every template
of the shipped bank, on seeds not drawn before (the cold case: the bot caches each card).

    python -m bench.instantiate [--seeds 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from problems.bank import parse_banks, sample_bank_dir
from problems.templates import instantiate


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instantiate")
    parser.add_argument("--seeds", type=int, default=50, help="new seeds per template")
    args = parser.parse_args(argv)
    parsed = parse_banks([sample_bank_dir()])
    templates = [p.spec for p in parsed.problems if p.spec.is_template]
    for spec in templates:
        instantiate(spec, 0)  # compiled once per template, as in a running bot
    # The tutor's draw (answer rules ran at load), then the same with the answer rules.
    for checked, label in ((True, "as the tutor draws"), (False, "with the answer rules")):
        times: list[float] = []
        first = 10_000 if checked else 20_000
        for spec in templates:
            for seed in range(first, first + args.seeds):
                started = time.thread_time_ns()
                instantiate(spec, seed, checked_at_load=checked)
                times.append((time.thread_time_ns() - started) / 1e6)
        times.sort()
        p50 = statistics.median(times)
        p99 = times[int(len(times) * 0.99)]
        print(
            f"{len(templates)} templates × {args.seeds} seeds, {label}: p50 {p50:.3f} ms, "
            f"p99 {p99:.3f} ms, max {times[-1]:.3f} ms (thread CPU time)"
        )


if __name__ == "__main__":
    main()
