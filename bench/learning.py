"""Does mastery-based selection teach more per problem? A simulated cohort, 90 days, three
policies, against a real SQLite database.

    python -m bench.learning [--students 1000] [--days 90] [--seed 1] [--quick]

Each synthetic student has a class (6–8) and a hidden state per topic of that class, as in
the knowledge-tracing literature: a topic is known or not; a known topic is answered right
unless the student slips, an unknown one only by a guess; every practised problem may teach
an unknown topic (more easily at difficulty 1), and a known topic may be forgotten on a day
it is not practised, less so the more days it was practised while known (spacing). Students
differ in ability (how much they know at the start and how fast they learn), in how often
they practise (50–95 % of days) and in how often they ask for a hint. A wrong first try gets
a second one (``ATTEMPTS_PER_PROBLEM`` = 2).

Three policies choose each day's five problems for the same cohort (the same hidden
profiles; their answers are drawn as they go):

* ``mastery``: ``bot.services.selection.choose_problems`` — the bot's own code — from the
  student's mastery rows read from the database;
* ``legacy``: the selection Dars used before (``bench.selection_legacy``), from per-problem
  history (kept in memory: the legacy code reads it as a list of aggregates);
* ``random``: five problems drawn at random from the student's class.

Every answer of every policy updates ``topic_mastery`` with the statement the bot runs
(``mastery.mastery_write`` → ``queries.mastery.upsert_statement``), so each policy also
yields the model's estimate; its agreement with the hidden truth is the AUC (the chance that
a known topic has a higher estimate than an unknown one), over every student and topic of the
class on days 30, 60 and 90.

Reported per policy: the share of students who reach 90 % of their class's topics truly known
within the days, the problems they answered to get there (median and mean of those who did),
the share of topics known at the end, and the AUC.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import math
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select

from bench import selection_legacy
from bot.services import mastery, selection
from db import migrate, queries
from db.engine import create_engine, create_sessionmaker
from db.models import Student, TopicMastery
from db.queries.mastery import MasteryWrite, upsert_statement
from db.queries.practice import ProblemHistory

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "results" / "learning-bank.sqlite3"
PER_SESSION = 5
ATTEMPTS = 2
GOAL = 0.9
GOALS = (0.5, 0.75, GOAL)  # shares of the class's topics truly known
POLICIES = ("mastery", "legacy", "random")
CHECKPOINTS = (30, 60, 90)
DAY0 = dt.date(2026, 1, 4)

# The hidden world (not the model's parameters: the model does not know these).
SLIP = 0.1
GUESS = 0.2
EASE = {1: 1.0, 2: 0.75, 3: 0.5}  # an unknown topic is learnt best from easy problems
FORGET = 0.03  # a day's chance to forget a known, unpractised topic (÷ (1 + spaced days))

_mastery = cast(Table, TopicMastery.__table__)
_students = cast(Table, Student.__table__)


@dataclass
class Profile:
    """A synthetic student's hidden make-up: the same for every policy."""

    grade: int
    practice_days: list[bool]
    hint_rate: float
    known: dict[str, bool]
    learn: dict[str, float]


@dataclass
class SimStudent:
    db_id: int
    index: int
    profile: Profile
    rng: random.Random
    known: dict[str, bool]
    spaced: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_day: dict[str, int] = field(default_factory=dict)
    seen: set[tuple[int, int]] = field(default_factory=set)
    history: dict[int, list[Any]] = field(default_factory=dict)
    answered: int = 0
    # Problems answered when the share of topics known first reached each of GOALS.
    reached_at: dict[float, int] = field(default_factory=dict)


def make_profile(index: int, seed: int, topics: dict[int, list[str]], days: int) -> Profile:
    rng = random.Random(f"profile:{seed}:{index}")
    grade = 6 + index % 3
    ability = rng.gauss(0, 1)
    start = min(0.6, max(0.02, 0.2 + 0.12 * ability))
    speed = math.exp(0.35 * ability)
    return Profile(
        grade=grade,
        practice_days=[rng.random() < rng.uniform(0.5, 0.95) for _ in range(days)],
        hint_rate=rng.uniform(0.0, 0.3),
        known={t: rng.random() < start for t in topics[grade]},
        learn={
            t: min(0.45, max(0.03, 0.13 * speed * rng.uniform(0.6, 1.4))) for t in topics[grade]
        },
    )


def checkpoints(days: int) -> list[int]:
    """The days (1-based) at whose start the estimate is compared with the truth."""
    return sorted({c for c in CHECKPOINTS if c <= days} | {days})


def auc(pairs: Sequence[tuple[float, bool]]) -> float:
    """Mann–Whitney: the chance a random known topic scores above a random unknown one."""
    ordered = sorted(pairs, key=lambda p: p[0])
    ranks: list[float] = [0.0] * len(ordered)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][0] == ordered[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(1 for _, known in ordered if known)
    negatives = len(ordered) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = sum(r for r, (_, known) in zip(ranks, ordered, strict=True) if known)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


async def bank_database(workdir: Path, parsed: Any = None) -> Path:
    """A migrated SQLite database with the shipped bank loaded (cached by the bank's files:
    parsing the bank costs about 40 s of CPU)."""
    from problems.bank import parse_banks, sample_bank_dir

    files = sorted(sample_bank_dir().glob("*.y*ml"))
    stamp = hashlib.sha256(
        json.dumps(
            [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
            + [migrate.head_revision()]
        ).encode()
    ).hexdigest()
    stamp_file = CACHE.with_suffix(".stamp")
    path = workdir / "learning.sqlite3"
    if CACHE.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        shutil.copy(CACHE, path)
        return path
    from bot.services.banks import load_banks

    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        bank = parsed if parsed is not None else parse_banks([sample_bank_dir()])
        await load_banks(create_sessionmaker(engine), bank)
    finally:
        await engine.dispose()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, CACHE)
    stamp_file.write_text(stamp)
    return path


@dataclass
class Bank:
    candidates: dict[int, list[selection.Candidate]]
    syllabus: dict[int, list[str]]
    by_id: dict[int, selection.Candidate]


async def read_bank(db: Any) -> Bank:
    candidates: dict[int, list[selection.Candidate]] = {}
    syllabus: dict[int, list[str]] = {}
    async with db() as s:
        for grade in (6, 7, 8):
            rows = await queries.problems.active_problem_summaries(s, grade=grade)
            candidates[grade] = [
                selection.Candidate(pid, topic, difficulty, tuple(seeds or ()))
                for pid, topic, difficulty, seeds in rows
            ]
            named = [t.slug for t in await queries.problems.topic_names(s, grade=grade)]
            named += [c.topic for c in candidates[grade] if c.topic not in named]
            syllabus[grade] = list(dict.fromkeys(named))
    by_id = {c.problem_id: c for cs in candidates.values() for c in cs}
    return Bank(candidates, syllabus, by_id)


Chooser = Callable[[SimStudent, int, dict[str, selection.TopicState]], list[tuple[int, int]]]


def chooser(policy: str, bank: Bank) -> Chooser:
    def by_mastery(
        st: SimStudent, today: int, states: dict[str, selection.TopicState]
    ) -> list[tuple[int, int]]:
        grade = st.profile.grade
        return selection.choose_problems(
            bank.candidates[grade],
            bank.syllabus[grade],
            states,
            PER_SESSION,
            today=today,
            seed=f"{st.db_id}:{today}",
            seen=st.seen,
        )

    def legacy(
        st: SimStudent, today: int, states: dict[str, selection.TopicState]
    ) -> list[tuple[int, int]]:
        history = [ProblemHistory(pid, *h) for pid, h in st.history.items()]
        return selection_legacy.choose_problems(
            bank.candidates[st.profile.grade],
            history,
            PER_SESSION,
            seed=f"{st.db_id}:{today}",
            seen=st.seen,
        )

    def at_random(
        st: SimStudent, today: int, states: dict[str, selection.TopicState]
    ) -> list[tuple[int, int]]:
        rng = random.Random(f"{st.db_id}:{today}")
        pool = bank.candidates[st.profile.grade]
        chosen: list[tuple[int, int]] = []
        for c in rng.sample(pool, len(pool)):
            fresh = [s for s in (c.seeds or (0,)) if (c.problem_id, s) not in st.seen]
            if fresh:
                chosen.append((c.problem_id, rng.choice(fresh)))
            if len(chosen) == PER_SESSION:
                break
        return chosen

    return {"mastery": by_mastery, "legacy": legacy, "random": at_random}[policy]


def answer(
    st: SimStudent, topic: str, difficulty: int, hinted: bool
) -> tuple[bool, bool]:  # (right on the first try, right on the second)
    known = st.known[topic]
    rng = st.rng
    right = 1 - SLIP - 0.03 * (difficulty - 1) if known else GUESS - 0.04 * (difficulty - 1)
    if hinted and not known:
        right = 0.45
    first = rng.random() < right
    second = first or rng.random() < (right if known else right + 0.1)
    return first, second


async def run_policy(
    policy: str, db: Any, bank: Bank, profiles: list[Profile], *, seed: int, days: int
) -> dict[str, Any]:
    started = time.perf_counter()
    choose = chooser(policy, bank)
    base = {"mastery": 1_000_000, "legacy": 2_000_000, "random": 3_000_000}[policy]
    async with db.begin() as s:
        conn = await s.connection()
        result = await conn.execute(
            insert(_students).returning(_students.c.id),
            [
                {
                    "telegram_id": base + i,
                    "name": f"sim{i}",
                    "grade": p.grade,
                    "language": "en",
                    "timezone": "Asia/Dhaka",
                }
                for i, p in enumerate(profiles)
            ],
        )
        ids = [row[0] for row in result]
    cohort = [
        SimStudent(
            db_id=db_id,
            index=i,
            profile=p,
            rng=random.Random(f"answers:{seed}:{policy}:{i}"),
            known=dict(p.known),
        )
        for i, (db_id, p) in enumerate(zip(ids, profiles, strict=True))
    ]
    lo, hi = min(ids), max(ids)
    aucs: dict[int, float] = {}
    choose_seconds = 0.0
    for d in range(days):
        today = mastery.day_number(DAY0) + d
        for st in cohort:
            if d:
                _forget(st, today)
        states: dict[int, dict[str, selection.TopicState]] = defaultdict(dict)
        p_known: dict[int, dict[str, float]] = defaultdict(dict)
        async with db() as s:
            rows = await s.execute(
                select(
                    _mastery.c.student_id,
                    _mastery.c.topic,
                    _mastery.c.p_known,
                    _mastery.c.attempts,
                    _mastery.c.due_day,
                ).where(_mastery.c.student_id.between(lo, hi))
            )
            for sid, topic, p, attempts, due in rows:
                states[sid][topic] = selection.TopicState(p, attempts, due)
                p_known[sid][topic] = p
        if d + 1 in checkpoints(days):
            prior = mastery.DEFAULT_PARAMS.prior
            aucs[d + 1] = auc(
                [
                    (p_known[st.db_id].get(t, prior), st.known[t])
                    for st in cohort
                    for t in bank.syllabus[st.profile.grade]
                ]
            )
        writes: list[list[MasteryWrite]] = [[] for _ in range(PER_SESSION * ATTEMPTS)]
        for st in cohort:
            if not st.profile.practice_days[d]:
                continue
            t0 = time.perf_counter()
            variants = choose(st, today, states[st.db_id])
            choose_seconds += time.perf_counter() - t0
            for position, (pid, variant_seed) in enumerate(variants):
                st.seen.add((pid, variant_seed))
                _practise(st, bank.by_id[pid], position, today, writes)
        async with db.begin() as s:
            conn = await s.connection()
            for batch in writes:
                groups: dict[Any, list[MasteryWrite]] = defaultdict(list)
                for w in batch:
                    groups[(w.key, w.schedule)].append(w)
                for group in groups.values():
                    stmt = upsert_statement(conn.dialect.name, group[0])
                    await conn.execute(stmt, [w.params() for w in group])
        for st in cohort:
            topics = bank.syllabus[st.profile.grade]
            share = sum(st.known[t] for t in topics) / len(topics)
            for goal in GOALS:
                if goal not in st.reached_at and share >= goal:
                    st.reached_at[goal] = st.answered
    reached = [st.reached_at[GOAL] for st in cohort if GOAL in st.reached_at]
    known_end = statistics.mean(
        sum(st.known.values()) / len(st.known) for st in cohort if st.known
    )
    return {
        "policy": policy,
        "students": len(cohort),
        "reached_share": len(reached) / len(cohort),
        "problems_to_goal_median": statistics.median(reached) if reached else None,
        # Over every student, one who never got there counting as infinitely many.
        "problems_to_goals_median_all": {
            goal: statistics.median(st.reached_at.get(goal, math.inf) for st in cohort)
            for goal in GOALS
        },
        "reached_at": [st.reached_at.get(GOAL) for st in cohort],
        "problems_to_goal_mean": statistics.mean(reached) if reached else None,
        "problems_answered_mean": statistics.mean(st.answered for st in cohort),
        "known_at_end": known_end,
        "auc": aucs,
        "seconds": time.perf_counter() - started,
        "choose_ms_per_session": 1000
        * choose_seconds
        / max(1, sum(sum(p.practice_days[:days]) for p in profiles)),
    }


def _forget(st: SimStudent, today: int) -> None:
    for topic, known in st.known.items():
        forgets = st.rng.random() < FORGET / (1 + st.spaced[topic])
        if known and st.last_day.get(topic) != today - 1 and forgets:
            st.known[topic] = False


def _practise(
    st: SimStudent,
    card: selection.Candidate,
    position: int,
    today: int,
    writes: list[list[MasteryWrite]],
) -> None:
    topic, difficulty = card.topic, card.difficulty
    if topic not in st.known:
        return
    hinted = not st.known[topic] and st.rng.random() < st.profile.hint_rate
    first, second = answer(st, topic, difficulty, hinted)
    st.answered += 1
    tries = [first] if first else [first, second]
    for attempt, right in enumerate(tries):
        evidence = mastery.evidence_of(
            is_correct=right, grader="rule", hints_used=int(hinted), earlier_tries=attempt
        )
        assert evidence is not None
        writes[position * ATTEMPTS + attempt].append(
            mastery.mastery_write(
                student_id=st.db_id,
                grade=st.profile.grade,
                topic=topic,
                day=today,
                evidence=evidence,
            )
        )
        h = st.history.setdefault(card.problem_id, [0, 0, None, None])
        moment = dt.datetime(2026, 1, 4, tzinfo=dt.UTC) + dt.timedelta(
            days=today - mastery.day_number(DAY0), minutes=position * 3 + attempt
        )
        h[0] += 1
        if right:
            h[1] += 1
            h[3] = moment
        else:
            h[2] = moment
    # Practice teaches (the answer is shown after a second miss): more easily when easy.
    if not st.known[topic] and st.rng.random() < st.profile.learn[topic] * EASE[difficulty]:
        st.known[topic] = True
    if st.known[topic] and st.last_day.get(topic) != today:
        st.spaced[topic] += 1
    st.last_day[topic] = today


async def run_one(students: int, days: int, seed: int, policy: str) -> dict[str, Any]:
    """One policy on its own copy of the database."""
    with tempfile.TemporaryDirectory() as tmp:
        path = await bank_database(Path(tmp))
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        db = create_sessionmaker(engine)
        try:
            bank = await read_bank(db)
            profiles = [make_profile(i, seed, bank.syllabus, days) for i in range(students)]
            return await run_policy(policy, db, bank, profiles, seed=seed, days=days)
        finally:
            await engine.dispose()


def _run_one(args: tuple[int, int, int, str]) -> dict[str, Any]:
    return asyncio.run(run_one(*args))


def run(students: int, days: int, seed: int, policies: Sequence[str], jobs: int) -> dict[str, Any]:
    # The bank's database is built (or found cached) once, before the workers copy it.
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bank_database(Path(tmp)))
    work = [(students, days, seed, p) for p in policies]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run_one, work))
    else:
        results = [_run_one(w) for w in work]
    return {"students": students, "days": days, "seed": seed, "results": results}


def report(outcome: dict[str, Any]) -> str:
    goals = " ".join(f"{'med@' + format(g, '.0%'):>8}" for g in GOALS)
    lines = [
        f"{outcome['students']} simulated students, {outcome['days']} days, "
        f"{PER_SESSION} problems a session; goal: {GOAL:.0%} of the class's topics truly known",
        "med@X: median problems answered until X of the topics are truly known, over every "
        "student (∞: most never got there)",
        f"{'policy':<8} {'reached':>8} {goals} {'known@end':>10} "
        + " ".join(f"{'AUC@' + str(c):>7}" for c in checkpoints(outcome["days"]))
        + f" {'secs':>6} {'ms/choice':>9}",
    ]
    by_policy = {r["policy"]: r for r in outcome["results"]}
    for r in outcome["results"]:
        medians = " ".join(f"{_count(r['problems_to_goals_median_all'][g]):>8}" for g in GOALS)
        lines.append(
            f"{r['policy']:<8} {r['reached_share']:>8.1%} {medians} {r['known_at_end']:>10.1%} "
            + " ".join(
                f"{r['auc'].get(c, float('nan')):>7.3f}" for c in checkpoints(outcome["days"])
            )
            + f" {r['seconds']:>6.0f} {r['choose_ms_per_session']:>9.2f}"
        )
    new = by_policy.get("mastery")
    for other in ("random", "legacy"):
        old = by_policy.get(other)
        if not (new and old):
            continue
        for g in GOALS:
            a, b = new["problems_to_goals_median_all"][g], old["problems_to_goals_median_all"][g]
            if math.isfinite(a) and math.isfinite(b):
                lines.append(f"mastery vs {other}: {1 - a / b:.0%} fewer problems to {g:.0%}")
        both = [
            (x, y)
            for x, y in zip(new["reached_at"], old["reached_at"], strict=True)
            if x is not None and y is not None
        ]
        if both:
            saving = 1 - sum(x for x, _ in both) / sum(y for _, y in both)
            lines.append(
                f"mastery vs {other}, the {len(both)} students who reach {GOAL:.0%} under both: "
                f"{saving:.0%} fewer problems"
            )
    return "\n".join(lines)


def _count(value: float) -> str:
    return str(round(value)) if math.isfinite(value) else "∞"


async def scale(repeats: int) -> dict[str, Any]:
    """Starting the day's session: a student with a school year behind them (2,000 responses,
    400 sessions, a mastery row for every topic) against a new one, through the bot's own
    ``practice.start_practice`` on SQLite. Each repeat is a new day for both."""
    from bot.config import Settings
    from bot.services import practice
    from bot.services.deps import Deps
    from db.models import PracticeSession, Response

    with tempfile.TemporaryDirectory() as tmp:
        path = await bank_database(Path(tmp))
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        now = [dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)]
        deps = Deps(
            db=create_sessionmaker(engine),
            settings=Settings(_env_file=None, database_url=url, telegram_bot_token="1:X"),
            clock=lambda: now[0],
        )
        try:
            bank = await read_bank(deps.db)
            grade = 6
            pool = bank.candidates[grade]
            async with deps.db.begin() as s:
                conn = await s.connection()
                ids = [
                    row[0]
                    for row in await conn.execute(
                        insert(_students).returning(_students.c.id),
                        [
                            {
                                "telegram_id": tid,
                                "name": name,
                                "grade": grade,
                                "language": "en",
                                "timezone": "Asia/Dhaka",
                            }
                            for tid, name in ((1, "new"), (2, "year"))
                        ],
                    )
                ]
                veteran = ids[1]
                rng = random.Random(7)
                today = now[0].date()
                for back in range(400, 0, -1):
                    picked = rng.sample(pool, PER_SESSION)
                    session = PracticeSession(
                        student_id=veteran,
                        local_date=today - dt.timedelta(days=back),
                        status="completed",
                        problem_ids=[c.problem_id for c in picked],
                        variant_seeds=[c.seeds[0] if c.seeds else 0 for c in picked],
                        position=PER_SESSION,
                        correct_count=3,
                    )
                    s.add(session)
                    await s.flush()
                    s.add_all(
                        Response(
                            session_id=session.id,
                            student_id=veteran,
                            problem_id=c.problem_id,
                            variant_seed=c.seeds[0] if c.seeds else 0,
                            student_answer="1",
                            is_correct=rng.random() < 0.7,
                            hints_used=0,
                            grader="rule",
                            idempotency_key=back * 10 + i,
                        )
                        for i, c in enumerate(picked)
                    )
                await s.flush()
                await place_all(s, veteran, bank.syllabus[grade], mastery.day_number(today))
            times: dict[int, list[float]] = {1: [], 2: []}
            for day in range(repeats + 5):
                for tid in (1, 2):
                    t0 = time.perf_counter()
                    outcome = await practice.start_practice(deps, telegram_id=tid)
                    elapsed = time.perf_counter() - t0
                    assert outcome.kind == "problem", outcome
                    if day >= 5:  # the first days warm the problem cache
                        times[tid].append(elapsed * 1000)
                now[0] += dt.timedelta(days=1)
        finally:
            await engine.dispose()
    new, year = statistics.median(times[1]), statistics.median(times[2])
    return {"repeats": repeats, "new_ms": new, "year_ms": year, "ratio": year / new}


async def place_all(s: Any, student_id: int, topics: Sequence[str], today: int) -> None:
    rng = random.Random(student_id)
    conn = await s.connection()
    await conn.execute(
        insert(_mastery),
        [
            {
                "student_id": student_id,
                "grade": 6,
                "topic": topic,
                "p_known": rng.uniform(0.2, 0.99),
                "attempts": 100,
                "correct": 70,
                "stage": 2,
                "due_day": today + rng.randint(-3, 10),
                "last_day": today - 1,
                "placed": False,
            }
            for topic in topics
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.learning")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="60 students, 30 days")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--jobs", type=int, default=2, help="policies run in parallel")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--scale", action="store_true", help="only the session-start bench (2,000 responses)"
    )
    args = parser.parse_args(argv)
    if args.scale:
        figures = asyncio.run(scale(20 if args.quick else 100))
        print(
            f"start of the day's session (median of {figures['repeats']} days): new student "
            f"{figures['new_ms']:.1f} ms, with 2,000 responses {figures['year_ms']:.1f} ms "
            f"({figures['ratio']:.2f}×)"
        )
        return
    students, days = (60, 30) if args.quick else (args.students, args.days)
    outcome = run(students, days, args.seed, args.policies.split(","), args.jobs)
    print(report(outcome))
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=2, default=str))


if __name__ == "__main__":
    main()
