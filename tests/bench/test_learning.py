"""bench.learning, small: the three policies run on a real SQLite database with the bot's own
selection and mastery statement, and the report says what it measured."""

from __future__ import annotations

import math
from pathlib import Path

from bench import learning


async def test_a_small_cohort_learns_and_the_model_tracks_it(tmp_path: Path, sample_bank) -> None:
    await learning.bank_database(tmp_path, sample_bank)  # warm the cached bank database
    results = [await learning.run_one(24, 20, 3, policy) for policy in learning.POLICIES]
    again = await learning.run_one(24, 20, 3, "mastery")
    assert again["reached_at"] == results[0]["reached_at"]  # deterministic per seed
    by = {r["policy"]: r for r in results}
    for r in results:
        assert r["students"] == 24
        assert 0 < r["known_at_end"] <= 1
        # The model's estimate ranks known topics above unknown ones far better than chance.
        assert r["auc"][20] > 0.75
    # Mastery selection gets half the topics known in no more problems than random choice.
    mastery_half = by["mastery"]["problems_to_goals_median_all"][0.5]
    assert mastery_half <= by["random"]["problems_to_goals_median_all"][0.5]
    text = learning.report({"students": 24, "days": 20, "seed": 3, "results": results})
    lines = text.splitlines()
    assert lines[0].startswith("24 simulated students, 20 days")
    header = "policy reached med@50% med@75% med@90% known@end AUC@20"
    assert lines[2].split()[:7] == header.split()
    assert [line.split()[0] for line in lines[3:6]] == list(learning.POLICIES)


async def test_starting_a_session_does_not_read_a_students_history(sample_bank) -> None:
    figures = await learning.scale(3)
    assert figures["repeats"] == 3 and math.isfinite(figures["ratio"])
