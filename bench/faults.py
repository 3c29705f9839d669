"""Faults benchmark: students work through whole sessions while things break, and afterwards
every session must hold exactly its ten Responses (one wrong and one right try per problem):
nothing lost, nothing doubled, nobody stuck.

Each simulated student answers, waits for the reply, and goes on. After an error message
(or no reply at all) they do what a child would: look at the chat again (here: read the
session's step from the database, which is what /practice would show) and answer the
problem they now see. Those are counted as "had to answer again".

Scenarios (``--scenario``):
  pg-kill      every backend of the bench database terminated, four times
  pg-restart   the PostgreSQL server restarted (pg_ctlcluster … restart), once; refused
               while any pytest runs
  api-errors   Bot API: 500s on sendMessage, 502s on getUpdates, 6 s stalls (PTB times out
               after 5 s)
  llm-timeout  the language model takes 3 s with OPENAI_TIMEOUT_SECONDS=1: written answers
               fall back to the rules
  soak         no faults: --minutes at --rate answers/s (open loop), bot RSS sampled

    python -m bench.faults --scenario pg-kill
    nohup python -m bench.faults --scenario soak --minutes 30 --rate 20 > soak.log 2>&1 &
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench import dataset
from bench.answers import MAIN_POOL, Bench, _pick, plan_answers
from bench.common import (
    ADMIN_DSN,
    BotProcess,
    machine_busy,
    machine_info,
    percentile,
    save_result,
    wait_until_quiet,
)
from bench.dataset import Student, reset_sessions
from bench.load import ReplyTracker, open_loop, summarize, unreplied
from bot.texts import t
from botapi_emulator import ApiCall, BotApiEmulator
from problems.types import AnswerType
from tests.helpers import right_answer, wrong_answer

STEPS = 10  # five problems, a wrong then a right answer each


@dataclass
class ChatLog:
    """Every message the bot sent to each chat, with when it arrived."""

    emu: BotApiEmulator
    messages: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    failed_sends: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.emu.add_listener(self._on_call)

    def _on_call(self, call: ApiCall) -> None:
        if call.method != "sendMessage":
            return
        if not call.ok:
            self.failed_sends += 1
            return
        if isinstance(call.chat_id, int):
            text = str(call.params.get("text", ""))
            self.messages.setdefault(call.chat_id, []).append((call.at, text))
            self.changed.set()

    def since(self, chat: int, at: float) -> list[str]:
        return [text for when, text in self.messages.get(chat, []) if when >= at]

    async def replies(self, chat: int, at: float, *, within: float, quiet: float) -> list[str]:
        """Messages to ``chat`` after ``at``: wait for the first (at most ``within`` s), then
        until nothing new came for ``quiet`` s (a failed reply may be followed by the error
        message, a stalled one may arrive late)."""
        deadline = time.monotonic() + within
        while not self.since(chat, at) and time.monotonic() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(0.25, within))
        count = -1
        while count != len(self.since(chat, at)):
            count = len(self.since(chat, at))
            await asyncio.sleep(quiet)
        return self.since(chat, at)


@dataclass
class StudentRun:
    student: Student
    answers: int = 0
    verdicts: int = 0
    errors: int = 0
    silences: int = 0
    again: int = 0
    finished: bool = False
    latencies: list[float] = field(default_factory=list)


async def _fetch(dsn: str, sql: str, *args: Any, tries: int = 60) -> list[asyncpg.Record]:
    """A query of the harness itself, retried while the server is down or restarting."""
    for attempt in range(tries):
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            try:
                return list(await conn.fetch(sql, *args))
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.5)
    return []


async def current_step(dsn: str, session_id: int) -> int:
    rows = await _fetch(
        dsn,
        "SELECT status, position, wrong_on_current FROM practice_sessions WHERE id = $1",
        session_id,
    )
    status, position, wrong = rows[0]
    return STEPS if status == "completed" else position * 2 + wrong


async def work_through(
    chat_log: ChatLog,
    dsn: str,
    run: StudentRun,
    texts: list[str],
    *,
    deadline: float,
    think: Callable[[], float],
    reply_within: float,
) -> None:
    """One student's session, from step 0 to the end, as described in the module doc."""
    s = run.student
    error_text = t(s.language, "error")
    step = 0
    await asyncio.sleep(think())
    while step < STEPS and time.monotonic() < deadline:
        pushed = time.monotonic()
        chat_log.emu.push_message(s.telegram_id, texts[step], language_code=s.language)
        run.answers += 1
        got = await chat_log.replies(s.telegram_id, pushed, within=reply_within, quiet=0.3)
        verdict = [m for m in got if m != error_text]
        if got and not verdict:
            run.errors += 1
        elif not got:
            run.silences += 1
        if verdict and error_text not in got:
            run.verdicts += 1
            when = chat_log.messages[s.telegram_id]
            first = next(w for w, text in when if w >= pushed)
            run.latencies.append((first - pushed) * 1000)
            step += 1
        else:
            # Something went wrong (or a verdict and an error both came): look again and
            # answer what the chat now shows.
            run.again += 1
            step = await current_step(dsn, s.session_id)
        await asyncio.sleep(think())
    run.finished = await current_step(dsn, s.session_id) == STEPS


def session_texts(student: Student, cards: dict[int, Any]) -> list[str]:
    texts = []
    for k in range(STEPS):
        card = cards[student.problem_ids[k // 2]]
        texts.append(wrong_answer(card) if k % 2 == 0 else right_answer(card))
    return texts


async def check_responses(dsn: str, students: Sequence[Student]) -> dict[str, Any]:
    """Every session: exactly one wrong and one right Response per problem."""
    rows = await _fetch(
        dsn,
        """SELECT session_id, problem_id, is_correct, count(*) AS n FROM responses
           WHERE session_id = ANY($1::int[]) AND idempotency_key > 0
           GROUP BY session_id, problem_id, is_correct""",
        [s.session_id for s in students],
    )
    per_session: dict[int, Counter[tuple[int, bool]]] = {}
    for r in rows:
        per_session.setdefault(r["session_id"], Counter())[(r["problem_id"], r["is_correct"])] = r[
            "n"
        ]
    doubled = lost = exact = 0
    for s in students:
        seen = per_session.get(s.session_id, Counter())
        want = Counter({(pid, ok): 1 for pid in s.problem_ids for ok in (False, True)})
        doubled += sum(max(0, seen[k] - 1) for k in seen)
        lost += sum(1 for k in want if seen[k] == 0)
        exact += seen == want
    return {"sessions_exact": exact, "responses_doubled": doubled, "responses_missing": lost}


async def terminate_backends(database: str) -> int:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    return len(rows)


def restart_postgres() -> float | None:
    """Restart the cluster and return how long it took; None (and no restart) while any
    pytest runs: its throwaway database would go down with it."""
    if machine_busy(max_load=99.0) is not None:
        return None
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
        check=True,
        timeout=120,
    )
    return time.monotonic() - started


Fault = tuple[float, str, Callable[[], Awaitable[Any]]]


async def run_faults(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    scenario = args.scenario
    students = _pick(bench.pool(MAIN_POOL), args.students, seed=77)
    env = bench._bot_env()
    fake: Any = None
    if scenario == "llm-timeout":
        from tests.fakes.openai_server import FakeOpenAIServer

        # Written problems only, so that every wrong answer goes to the (too slow) model.
        grades = await dataset.load_grades(bench.dsn)
        text = {
            g: [
                c.id
                for c in bench.cards.values()
                if c.answer_type is AnswerType.TEXT and grades.get(c.id) == g
            ]
            for g in (6, 7, 8)
        }
        rng = random.Random(3)
        ids = {s.student_id: rng.sample(text[s.grade], 5) for s in students}
        await reset_sessions(bench.dsn, dict.fromkeys(ids, 0), problem_ids=ids)
        students = [
            Student(
                s.student_id,
                s.telegram_id,
                s.grade,
                s.language,
                s.session_id,
                tuple(ids[s.student_id]),
            )
            for s in students
        ]
        fake = FakeOpenAIServer(delay=3.0)
        await fake.start()
        env |= {
            "OPENAI_API_KEY": "bench-fake-key",
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_TIMEOUT_SECONDS": "1",
            "LLM_DAILY_BUDGET_PER_STUDENT_USD": "1000",
            "LLM_DAILY_BUDGET_GLOBAL_USD": "100000",
        }
    else:
        await reset_sessions(bench.dsn, {s.student_id: 0 for s in students})
    emu = await bench._emulator()
    chat_log = ChatLog(emu)
    bot = BotProcess("dars", base_url=emu.base_url, database_url=bench.url, env=env)
    events: list[dict[str, Any]] = []
    runs = [StudentRun(s) for s in students]
    rng = random.Random(11)
    try:
        await bot.start()
        started = time.monotonic()
        deadline = started + args.limit

        def mark(what: str, **extra: Any) -> None:
            events.append({"at_s": round(time.monotonic() - started, 2), "event": what} | extra)
            print(f"    +{events[-1]['at_s']:6.1f}s {what} {extra or ''}", flush=True)

        async def stall(seconds: float) -> None:
            emu.response_delay = 6.0
            mark("Bot API stalls 6 s per request")
            await asyncio.sleep(seconds)
            emu.response_delay = 0.0
            mark("Bot API back to normal")

        async def kill_backends() -> None:
            mark("backends terminated", count=await terminate_backends(args.db))

        async def restart() -> None:
            mark("restarting PostgreSQL")
            took = await asyncio.to_thread(restart_postgres)
            if took is None:
                mark("restart skipped: a pytest run started meanwhile")
            else:
                mark("PostgreSQL restarted", took_s=round(took, 1))

        async def fail(method: str, status: int, times: int) -> None:
            emu.fail_next(method, status=status, times=times)
            mark(f"next {times} {method} answer {status}")

        schedules: dict[str, list[Fault]] = {
            "pg-kill": [(t0, "kill", kill_backends) for t0 in (6.0, 14.0, 22.0, 30.0)],
            "pg-restart": [(10.0, "restart", restart)],
            "api-errors": [
                (6.0, "500s", lambda: fail("sendMessage", 500, 15)),
                (12.0, "502s", lambda: fail("getUpdates", 502, 3)),
                (18.0, "stall", lambda: stall(3.0)),
                (28.0, "500s", lambda: fail("sendMessage", 500, 15)),
            ],
            "llm-timeout": [],
        }
        schedule = schedules[scenario]

        async def faults() -> None:
            for at, _name, action in schedule:
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                await action()

        fault_task = asyncio.create_task(faults())
        await asyncio.gather(
            *(
                work_through(
                    chat_log,
                    bench.dsn,
                    r,
                    session_texts(r.student, bench.cards),
                    deadline=deadline,
                    think=lambda: rng.uniform(*args.think),
                    reply_within=args.reply_within,
                )
                for r in runs
            )
        )
        await fault_task
        elapsed = time.monotonic() - started
    finally:
        chat_log.emu.remove_listener(chat_log._on_call)
        await bot.stop()
        await emu.stop()
        if fake is not None:
            await fake.stop()
    latencies = [x for r in runs for x in r.latencies]
    result: dict[str, Any] = {
        "scenario": scenario,
        "students": len(runs),
        "elapsed_s": round(elapsed, 1),
        "finished": sum(r.finished for r in runs),
        "stuck": [r.student.telegram_id for r in runs if not r.finished][:20],
        "answers_sent": sum(r.answers for r in runs),
        "verdict_replies": sum(r.verdicts for r in runs),
        "error_replies": sum(r.errors for r in runs),
        "no_reply": sum(r.silences for r in runs),
        "students_who_answered_again": sum(1 for r in runs if r.again),
        "answers_again": sum(r.again for r in runs),
        "failed_bot_api_sends": chat_log.failed_sends,
        "verdict_latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(percentile(latencies, 100), 1),
        },
        "events": events,
    }
    result |= await check_responses(bench.dsn, students)
    if fake is not None:
        result["model_requests"] = fake.calls
    _print(result)
    return result


async def run_soak(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Open loop at ``--rate`` for ``--minutes``; sessions are reset one minute's worth of
    students at a time; the bot's RSS (and CPU, latency) is recorded every minute."""
    pool = bench.pool(MAIN_POOL)
    emu = await bench._emulator()
    tracker = ReplyTracker(emu)
    bot = BotProcess("dars", base_url=emu.base_url, database_url=bench.url, env=bench._bot_env())
    samples: list[dict[str, Any]] = []
    try:
        await bot.start()
        await bench.warm_up(bot, tracker, pool)
        started = time.monotonic()
        end = started + args.minutes * 60
        minute = 0
        while time.monotonic() < end:
            count = int(args.rate * 60)
            students = _pick(pool, count, seed=1000 + minute)
            answers, states = plan_answers(students, bench.cards, seed=1000 + minute)
            await reset_sessions(bench.dsn, states)
            before = await bot.stats()
            sent = await open_loop(tracker, answers, rate=args.rate, max_seconds=65)
            await tracker.wait_replied(sent, within=30)
            after = await bot.stats()
            figures = summarize(sent)
            samples.append(
                {
                    "minute": minute,
                    "at_s": round(time.monotonic() - started, 1),
                    "rss_kb": after["rss_kb"],
                    "memory": after.get("memory"),
                    "answers": figures["answers"],
                    "replied": figures["replied"],
                    "p99_ms": figures["internal_ms"]["p99"],
                    "cpu_ms_per_answer": round(
                        (after["cpu"] - before["cpu"]) * 1000 / max(1, figures["replied"]), 3
                    ),
                    "unreplied": unreplied(sent, emu),
                    "unexpected_replies": sum(tracker.unexpected.values()),
                }
            )
            print(f"    {samples[-1]}", flush=True)
            # The generator's own bookkeeping would grow for 30 minutes: drop what is done.
            emu.calls.clear()
            if emu.handed_out is not None:
                emu.handed_out.clear()
            minute += 1
    finally:
        tracker.close()
        await bot.stop()
        await emu.stop()
    rss = [s["rss_kb"] for s in samples]
    return {
        "scenario": "soak",
        "minutes": args.minutes,
        "rate": args.rate,
        "answers": sum(s["answers"] for s in samples),
        "replied": sum(s["replied"] for s in samples),
        "rss_kb_first": rss[0] if rss else None,
        "rss_kb_last": rss[-1] if rss else None,
        "rss_kb_max": max(rss) if rss else None,
        "samples": samples,
    }


def _print(r: dict[str, Any]) -> None:
    skip = {"events", "stuck"}
    print("    " + json.dumps({k: v for k, v in r.items() if k not in skip}), flush=True)


async def main_async(args: argparse.Namespace) -> None:
    bench = Bench(args)
    await bench.prepare()
    if not args.no_wait:
        await wait_until_quiet()
    elif args.scenario == "pg-restart":
        await wait_until_quiet(max_load=99.0)  # never restart under someone's pytest
    info = await machine_info()
    print(f"== {args.scenario}", flush=True)
    if args.scenario == "soak":
        result = await run_soak(bench, args)
    else:
        result = await run_faults(bench, args)
    result["warm_up_unreplied"] = bench.warm_up_unreplied
    path = save_result(f"faults-{args.scenario}", {"machine": info, "args": vars(args)} | result)
    print(f"== saved {path}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        choices=("pg-kill", "pg-restart", "api-errors", "llm-timeout", "soak"),
        default="pg-kill",
    )
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument(
        "--think",
        type=lambda s: tuple(float(x) for x in s.split(",")),
        default=(2.0, 6.0),
        help="seconds a student waits before each answer: MIN,MAX",
    )
    parser.add_argument("--reply-within", type=float, default=15.0)
    parser.add_argument("--limit", type=float, default=300.0, help="seconds for every session")
    parser.add_argument("--minutes", type=float, default=30.0, help="soak length")
    parser.add_argument("--rate", type=float, default=20.0, help="soak answers per second")
    parser.add_argument("--db", default="dars_bench")
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= len(MAIN_POOL) or not 0 < args.minutes <= 60:
        parser.error("--students must be 1-7000 and --minutes in (0, 60]")
    if not 0 < args.rate <= 100 or not 0 < args.limit <= 1800:
        parser.error("--rate must be in (0, 100] and --limit in (0, 1800]")
    # What Bench reads of its own options.
    args.dataset_students, args.concurrent_updates, args.bot_env = 10_000, 0, []
    args.reply_timeout = 60.0
    return args


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
