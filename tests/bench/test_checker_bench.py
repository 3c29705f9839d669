"""Smoke test of the answer-checker benchmark (the figures themselves live in RESULTS.md)."""

from __future__ import annotations

from bench.checker import EXPRESSION_P99_TARGET_US, KINDS, measure


def test_checker_bench_runs_every_kind() -> None:
    results = measure(60)
    assert set(results) == set(KINDS)
    for figures in results.values():
        assert figures["n"] > 0
        assert 0 <= figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]
    # generous: a smoke run on a busy machine, not the benchmark
    assert results["expression"]["p50_us"] < 5 * EXPRESSION_P99_TARGET_US
