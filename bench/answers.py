"""Answers benchmark: simulated students answer through the Bot API emulator while the real
Dars application (in its own process) polls it; a bare PTB echo bot is measured alongside.

Per run: the echo bot at 50/s and at saturation, then Dars warmed up, at 50/s, at 100/s and at
saturation (open loop: updates are pushed at their scheduled times whatever the bot does). Then,
once, a phase with 100 slow language-model calls (2 s each) in flight while other students
answer numeric problems at 50/s. Figures go to stdout and bench/results/answers-*.json.

    python -m bench.answers                 # 3 runs + the LLM phase, about 15 minutes
    python -m bench.answers --quick         # a short smoke run of the same machinery
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench import dataset
from bench.common import (
    DEFAULT_DB,
    RESULTS_DIR,
    TOKEN,
    BotGroup,
    BotProcess,
    CpuSnapshot,
    GcTimer,
    ModelProcess,
    counters_delta,
    ensure_database,
    free_port,
    machine_busy,
    machine_info,
    median,
    pg_dsn,
    save_result,
    wait_until_quiet,
)
from bench.dataset import Student, reset_sessions
from bench.load import Answer, ReplyTracker, burst, open_loop, summarize, unreplied
from bot.services.cards import ProblemCard
from bot.serving.runner import new_event_loop
from botapi_emulator import BotApiEmulator
from problems.types import AnswerType
from tests.fakes.openai_server import FakeOpenAIServer
from tests.helpers import right_answer, wrong_answer

# Dars as one process (long polling) or as several (``--webhook N``); the echo bot is one.
Bot = BotProcess | BotGroup

# Student pools (indexes into the benchmark students): the main phases, the measured
# students of the LLM phase (numeric problems only), and the students keeping the model busy.
MAIN_POOL = range(0, 7000)
LLM_MEASURED_POOL = range(7000, 9900)
LLM_BUSY_POOL = range(9900, 10000)
WARMUP_ANSWERS = 400


def plan_answers(
    students: Sequence[Student], cards: dict[int, ProblemCard], *, seed: int
) -> tuple[list[Answer], dict[int, int]]:
    """One answer per student; student j is at step j % 10 of a wrong, right, wrong, right…
    session (so half are retries, 4 in 10 correct-and-next, 1 in 10 finish the session)."""
    answers: list[Answer] = []
    states: dict[int, int] = {}
    order = list(students)
    random.Random(seed).shuffle(order)
    for j, student in enumerate(order):
        k = j % 10
        states[student.student_id] = k
        position = k // 2
        card = cards[student.problem_ids[position]]
        if k % 2 == 0:
            text, expect = wrong_answer(card), "retry"
        else:
            text, expect = right_answer(card), ("done" if position == 4 else "correct")
        language = "bn" if student.language == "bn" else "en"
        answers.append(Answer(student.telegram_id, text, expect, language_code=language))
    return answers, states


def _pick(pool: Sequence[Student], count: int, seed: int) -> list[Student]:
    if count > len(pool):
        raise SystemExit(f"asked for {count} students from a pool of {len(pool)}")
    return random.Random(seed).sample(list(pool), count)


class Bench:
    """One benchmark invocation: the data, the emulator, and the phases."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dsn = pg_dsn(args.db)
        self.url = ""
        self.students: list[Student] = []
        self.cards: dict[int, ProblemCard] = {}
        self.disturbed: list[str] = []
        self._emulators = 0
        self.gc_timer = GcTimer()
        # Answers of the (unmeasured) warm-ups that got no reply, with what the bot sent.
        self.warm_up_unreplied: list[dict[str, Any]] = []

    async def prepare(self) -> None:
        self.url = await ensure_database(self.args.db)
        total = getattr(self.args, "dataset_students", None) or self.args.students
        days = getattr(self.args, "history_days", None) or 20
        await dataset.ensure_dataset(self.url, self.dsn, students=total, history_days=days)
        self.students = await dataset.load_students(self.dsn, total)
        self.cards = await dataset.load_cards(self.url)
        removed = await dataset.forget_benchmark_answers(self.dsn)
        print(
            f"  {len(self.students)} students, {len(self.cards)} problems; "
            f"{removed} answers of earlier runs removed",
            flush=True,
        )

    def pool(self, indexes: range) -> list[Student]:
        return self.students[indexes.start : min(indexes.stop, len(self.students))]

    def _bot_env(self) -> dict[str, str]:
        env = {
            # Reminders are measured by bench.reminders; here the job only would add noise.
            "REMINDER_CHECK_INTERVAL_SECONDS": "3600",
            "LOG_LEVEL": "INFO",
        }
        if self.args.concurrent_updates:
            env["CONCURRENT_UPDATES"] = str(self.args.concurrent_updates)
        core = getattr(self.args, "bot_core", None)  # --pin (bench.answers only)
        if core is not None:
            env["BENCH_CPUS"] = str(core)
        for item in self.args.bot_env:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def _dars(self, emu: BotApiEmulator, env: dict[str, str]) -> Bot:
        """Dars by long polling (one process), or ``--webhook N`` processes on one port."""
        if not self.args.webhook:
            return BotProcess("dars", base_url=emu.base_url, database_url=self.url, env=env)
        port = free_port()
        hook = {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": "bench-secret",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
        }
        return BotGroup(
            [
                BotProcess(
                    "dars",
                    base_url=emu.base_url,
                    database_url=self.url,
                    env=env | hook,
                    extra_args=["--webhook"],
                    log_path=RESULTS_DIR / f"bot-dars-{i}.log",
                )
                for i in range(self.args.webhook)
            ]
        )

    async def _emulator(self) -> BotApiEmulator:
        # Update ids become Response idempotency keys: emulators alive at the same time must
        # not hand out the same ids, or one bot's answers look like replays of the other's.
        first = await dataset.next_update_id(self.dsn) + self._emulators * 100_000_000
        self._emulators += 1
        emu = BotApiEmulator(token=TOKEN, first_update_id=first)
        await emu.start()
        return emu

    def _check_quiet(self, phase: str) -> None:
        reason = machine_busy(max_load=99.0)  # load is ours now; only another pytest counts
        if reason is not None:
            self.disturbed.append(f"{phase}: {reason}")
            print(f"  !! {phase} disturbed: {reason}", flush=True)

    async def phase(
        self,
        bot: Bot,
        tracker: ReplyTracker,
        name: str,
        students: Sequence[Student],
        *,
        rate: float | None,
        seed: int,
    ) -> dict[str, Any]:
        """Reset these students' sessions, send one answer each (open loop at ``rate``, or
        all at once when ``rate`` is None) and collect the figures."""
        answers, states = plan_answers(students, self.cards, seed=seed)
        if bot.kind == "dars":
            await reset_sessions(self.dsn, states)
        await asyncio.sleep(1.0)
        before = await bot.stats()
        # What this process made so far (data set, earlier phases) is never garbage; frozen,
        # its full collections cannot stall the timestamps of this phase.
        # Nor do its collections run during the phase (a few MB of garbage wait till the end).
        gc.collect()
        gc.freeze()
        gc.disable()
        gc_before = self.gc_timer.snapshot()
        cpu_before = CpuSnapshot.take()
        if rate is None:
            sent = burst(tracker, answers)
        else:
            sent = await open_loop(
                tracker, answers, rate=rate, max_seconds=len(answers) / rate + 5
            )
        done = await tracker.wait_replied(sent, within=self.args.reply_timeout)
        cpu_after = CpuSnapshot.take()
        gc.enable()
        await asyncio.sleep(0.3)  # late duplicates would show up as unexpected replies
        after = await bot.stats()
        self._check_quiet(name)
        delta = counters_delta(after, before)
        replied = sum(1 for a in sent if a.replied is not None)
        result = summarize(sent)
        statements = sum((delta.get("statements") or {}).values())
        result |= {
            "phase": name,
            "bot": bot.kind,
            "offered_rate": rate,
            "all_replied": done,
            "unexpected_replies": sum(tracker.unexpected.values()),
            "cpu_ms_per_answer": round(delta["cpu"] * 1000 / replied, 3) if replied else None,
            "cpu_s": round(delta["cpu"], 3),
            "cpu_s_by_process": {
                k: round(v, 3) for k, v in (delta.get("cpu_by_process") or {}).items()
            },
            "gc_s": round(delta.get("gc_s", 0.0), 3),
            "gc": {
                "bot_collections": delta.get("gc_counts"),
                "bot_longest_ms": after.get("gc_longest_ms"),
                **_generator_gc(gc_before, self.gc_timer.snapshot()),
            },
            "cores": cpu_before.until(cpu_after),
            "rss_kb_after": after["rss_kb"],
            "sql": {
                "statements_per_answer": round(statements / replied, 3) if replied else None,
                "by_verb": delta.get("statements", {}),
                "begin_per_answer": round(delta.get("begin", 0) / replied, 3) if replied else None,
                "commit_per_answer": round(delta.get("commit", 0) / replied, 3)
                if replied
                else None,
                "rollback": delta.get("rollback", 0),
                "pings_per_answer": round(delta.get("ping", 0) / replied, 3) if replied else None,
                "new_connections": delta.get("connect", 0),
            },
            "expected": dict(Counter(a.expect for a in sent)),
        }
        by_kind: dict[str, list[float]] = {}
        for a in sent:
            if a.internal_ms is not None:
                by_kind.setdefault(a.expect, []).append(a.internal_ms)
        result["internal_p99_by_kind_ms"] = {
            k: round(sorted(v)[max(0, int(len(v) * 0.99) - 1)], 2) for k, v in by_kind.items()
        }
        # When the slowest answers were handed out (seconds into the phase): spread out,
        # or together (one stall)?
        start = min((a.handed_out for a in sent if a.handed_out is not None), default=0.0)
        slowest = sorted(
            (a for a in sent if a.internal_ms is not None and a.handed_out is not None),
            key=lambda a: a.internal_ms or 0.0,
        )[-15:]
        result["started_monotonic"] = round(start, 3)
        result["slowest"] = [
            {"at_s": round((a.handed_out or 0.0) - start, 3), "ms": round(a.internal_ms or 0, 1)}
            for a in sorted(slowest, key=lambda a: a.handed_out or 0.0)
        ]
        result["unreplied"] = unreplied(sent, tracker.emu)
        result["replies"] = dict(
            Counter((a.reply_text or "").split("\n", 1)[0][:24] for a in sent).most_common(12)
        )
        tracker.unexpected.clear()
        _print_phase(result)
        return result

    async def warm_up(self, bot: Bot, tracker: ReplyTracker, pool: list[Student]) -> None:
        """Warm caches, pools and prepared statements; not measured."""
        students = _pick(pool, min(WARMUP_ANSWERS, len(pool)), seed=99)
        answers, states = plan_answers(students, self.cards, seed=99)
        if bot.kind == "dars":
            await reset_sessions(self.dsn, states)
        sent = await open_loop(tracker, answers, rate=100, max_seconds=30)
        if not await tracker.wait_replied(sent, within=60):
            # Not measured, but a lost reply is a lost reply: say so, and keep these
            # answers from taking the replies of later answers in the same chats.
            lost = unreplied(sent, tracker.emu)
            self.warm_up_unreplied.extend(lost)
            print(f"  warm-up: {len(lost)} answers got no reply: {lost}", flush=True)
            tracker.forget([a for a in sent if a.replied is None])

    async def run_once(self, run: int) -> dict[str, Any]:
        """Both bots stay up for the whole run; Dars's saturation phase is bracketed by two
        echo saturation phases, so drift of the machine shows and the ratio uses their mean."""
        args = self.args
        pool = self.pool(MAIN_POOL)
        out: dict[str, Any] = {"run": run, "phases": []}
        seed = run * 1000
        async with contextlib.AsyncExitStack() as stack:
            bots: dict[str, tuple[Bot, ReplyTracker]] = {}
            for kind in ("dars",) if args.skip_echo else ("echo", "dars"):
                emu = await self._emulator()
                stack.push_async_callback(emu.stop)
                tracker = ReplyTracker(emu)
                stack.callback(tracker.close)
                bot = (
                    self._dars(emu, self._bot_env())
                    if kind == "dars"
                    else BotProcess(kind, base_url=emu.base_url, env=self._bot_env())
                )
                await bot.start()
                stack.push_async_callback(bot.stop)
                await self.warm_up(bot, tracker, pool)
                bots[kind] = (bot, tracker)

            async def measure(kind: str, name: str, rate: float | None, count: int) -> None:
                bot, tracker = bots[kind]
                students = _pick(pool, count, seed=seed + len(out["phases"]))
                out["phases"].append(
                    await self.phase(
                        bot, tracker, name, students, rate=rate, seed=seed + len(out["phases"])
                    )
                )

            if "echo" in bots:
                await measure("echo", "echo 50/s", 50.0, int(50 * args.seconds))
            for rate in args.rates:
                await measure("dars", f"dars {rate:g}/s", rate, int(rate * args.seconds))
            if "echo" in bots:
                await measure("echo", "echo saturation", None, args.burst)
            spy = await self._start_py_spy(bots["dars"][0], run) if args.py_spy else None
            await measure("dars", "dars saturation", None, args.burst)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await asyncio.wait_for(spy.wait(), 30)
            if "echo" in bots:
                await measure("echo", "echo saturation, again", None, args.burst)
        return out

    async def _start_py_spy(self, bot: Bot, run: int) -> asyncio.subprocess.Process:
        spy = await asyncio.create_subprocess_exec(
            "py-spy",
            "record",
            "--pid",
            str(bot.pid),
            "--rate",
            "200",
            "--format",
            "raw",
            "-o",
            f"{self.args.py_spy}-run{run}.txt",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)
        return spy

    async def llm_phase(self) -> dict[str, Any]:
        """100 students keep slow model calls (2 s) in flight; others answer numeric problems
        at 50/s. Measured first without, then with the model load, in the same bot process."""
        args = self.args
        measured_pool = self.pool(LLM_MEASURED_POOL)
        busy = self.pool(LLM_BUSY_POOL)
        grades = await dataset.load_grades(self.dsn)
        numeric = _by_grade(self.cards, grades, AnswerType.NUMERIC)
        text = _by_grade(self.cards, grades, AnswerType.TEXT)
        rng = random.Random(5)
        problem_ids: dict[int, list[int]] = {
            s.student_id: rng.sample(numeric[s.grade], 5) for s in measured_pool
        }
        # Long sessions of written problems: every wrong answer goes to the model.
        for s in busy:
            problem_ids[s.student_id] = rng.sample(text[s.grade], min(20, len(text[s.grade])))
        await reset_sessions(self.dsn, dict.fromkeys(problem_ids, 0), problem_ids=problem_ids)
        measured = [
            dataset.Student(
                s.student_id,
                s.telegram_id,
                s.grade,
                s.language,
                s.session_id,
                tuple(problem_ids[s.student_id]),
            )
            for s in measured_pool
        ]
        out: dict[str, Any] = {"phases": []}
        fake: ModelProcess | _InlineModel = (
            ModelProcess(delay=args.llm_delay)
            if args.fake_model == "process"
            else _InlineModel(FakeOpenAIServer(delay=args.llm_delay))
        )
        async with fake:
            emu = await self._emulator()
            tracker = ReplyTracker(emu)
            env = self._bot_env() | {
                "OPENAI_API_KEY": "bench-fake-key",
                "OPENAI_BASE_URL": fake.base_url,
                "LLM_DAILY_BUDGET_PER_STUDENT_USD": "1000",
                "LLM_DAILY_BUDGET_GLOBAL_USD": "100000",
            }
            bot = self._dars(emu, env)
            rate = args.llm_rate
            count = int(rate * args.llm_seconds)
            try:
                await bot.start()
                await self.warm_up(bot, tracker, measured[:WARMUP_ANSWERS])
                rest = measured[WARMUP_ANSWERS:]
                quiet = await self.phase(
                    bot, tracker, f"dars {rate:g}/s, model idle", rest[:count], rate=rate, seed=11
                )
                out["phases"].append(quiet)
                stop = asyncio.Event()
                samples: list[int] = []
                model_answers: list[Answer] = []

                async def keep_model_busy(student: Student, start_after: float) -> None:
                    # Students do not all write at the same instant: started together, a
                    # hundred 2 s calls would come back as one wave every 2 s, forever.
                    await asyncio.sleep(start_after)
                    while not stop.is_set():
                        a = tracker.push(Answer(student.telegram_id, "definitely not it", "model"))
                        model_answers.append(a)
                        if not await tracker.wait_replied([a], within=30):
                            return

                spy = await self._start_py_spy(bot, 0) if args.py_spy else None
                spread = args.llm_delay if args.llm_spread is None else args.llm_spread
                loops = [
                    asyncio.create_task(keep_model_busy(s, i * spread / len(busy)))
                    for i, s in enumerate(busy)
                ]
                deadline = time.monotonic() + 15
                # Polls a counter of the fake server (no event to wait on); bounded.
                while await fake.in_flight() < 0.95 * len(busy) and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                sampler_stop = asyncio.Event()

                async def sample() -> None:
                    while not sampler_stop.is_set():
                        samples.append(await fake.in_flight())
                        await asyncio.sleep(0.1)

                sampler = asyncio.create_task(sample())
                loaded = await self.phase(
                    bot,
                    tracker,
                    f"dars {rate:g}/s, {len(busy)} model calls in flight",
                    rest[count : 2 * count],
                    rate=rate,
                    seed=12,
                )
                sampler_stop.set()
                await sampler
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    await asyncio.wait_for(spy.wait(), 30)
                stop.set()
                await asyncio.wait_for(asyncio.gather(*loops), 60)
                loaded["model_in_flight"] = {
                    "min": min(samples) if samples else None,
                    "median": median(samples) if samples else None,
                    "max": max(samples) if samples else None,
                }
                replied = [a for a in model_answers if a.internal_ms is not None]
                loaded["model_answers"] = {
                    "sent": len(model_answers),
                    "replied": len(replied),
                    "internal_ms_p50": round(median([a.internal_ms or 0 for a in replied]), 1),
                }
                print(
                    f"    model calls in flight: {loaded['model_in_flight']}; "
                    f"model-graded answers: {loaded['model_answers']}",
                    flush=True,
                )
                out["phases"].append(loaded)
            finally:
                tracker.close()
                await bot.stop()
                await emu.stop()
        return out


class _InlineModel:
    """The fake model in this process (``--fake-model inline``), used like ModelProcess."""

    def __init__(self, server: FakeOpenAIServer) -> None:
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def in_flight(self) -> int:
        return self.server.in_flight

    async def __aenter__(self) -> _InlineModel:
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()


def _generator_gc(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The benchmark process's own collections during a phase: its pauses delay the replies'
    timestamps, so they are reported beside the bot's."""
    return {
        "generator_collections": counters_delta(after, before).get("gc_counts"),
        "generator_longest_ms": after["gc_longest_ms"],
    }


def _by_grade(
    cards: dict[int, ProblemCard], grades: dict[int, int], kind: AnswerType
) -> dict[int, list[int]]:
    """Ids of the active problems of one answer type, per grade."""
    found: dict[int, list[int]] = {6: [], 7: [], 8: []}
    for card in cards.values():
        if card.answer_type is kind and card.id in grades:
            found[grades[card.id]].append(card.id)
    return found


def _print_phase(r: dict[str, Any]) -> None:
    i = r["internal_ms"]
    sql = r["sql"]
    print(
        f"    {r['phase']:<40} {r['replied']}/{r['answers']} replied, "
        f"{r.get('rate_per_s')}/s; internal p50 {i['p50']} p95 {i['p95']} p99 {i['p99']} ms; "
        f"e2e p99 {r['end_to_end_ms']['p99']} ms; cpu {r['cpu_ms_per_answer']} ms/answer; "
        f"sql {sql['statements_per_answer']}/answer "
        f"(+{sql['begin_per_answer']} begin, {sql['commit_per_answer']} commit, "
        f"{sql['pings_per_answer']} ping, {sql['new_connections']} connects); "
        f"gc {r['gc_s']} s {r['gc']}; "
        f"push lag max {r['push_lag_ms_max']} ms; "
        f"cores {r['cores']}",
        flush=True,
    )


def _headline(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the runs for each phase, with the values it came from."""
    phases: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for p in run["phases"]:
            phases.setdefault(p["phase"], []).append(p)
    head: dict[str, Any] = {}
    for name, items in phases.items():
        rates = [p["rate_per_s"] or 0.0 for p in items]
        p99 = [p["internal_ms"]["p99"] for p in items]
        cpu = [p["cpu_ms_per_answer"] or 0.0 for p in items]
        head[name] = {
            "rate_per_s": {"median": median(rates), "values": rates},
            "internal_p50_ms": {"median": median([p["internal_ms"]["p50"] for p in items])},
            "internal_p95_ms": {"median": median([p["internal_ms"]["p95"] for p in items])},
            "internal_p99_ms": {"median": median(p99), "values": p99},
            "cpu_ms_per_answer": {"median": median(cpu), "values": cpu},
            "statements_per_answer": [p["sql"]["statements_per_answer"] for p in items],
        }
    ratios = []
    for run in runs:
        rate = {p["phase"]: p.get("rate_per_s") or 0.0 for p in run["phases"]}
        echo = [rate[n] for n in ("echo saturation", "echo saturation, again") if n in rate]
        if echo and "dars saturation" in rate:
            ratios.append(round(rate["dars saturation"] / (sum(echo) / len(echo)), 3))
    if ratios:
        head["saturation_ratio"] = {"median": median(ratios), "values": ratios}
    return head


async def main_async(args: argparse.Namespace) -> None:
    bench = Bench(args)
    print("== preparing data", flush=True)
    await bench.prepare()
    info = await machine_info()
    results: dict[str, Any] = {"machine": info, "args": vars(args), "runs": []}
    for run in range(1, args.runs + 1):
        if not args.no_wait:
            await wait_until_quiet()
        print(f"== run {run}/{args.runs}", flush=True)
        results["runs"].append(await bench.run_once(run))
    if not args.skip_llm:
        if not args.no_wait:
            await wait_until_quiet()
        llm_runs = []
        for run in range(1, args.llm_runs + 1):
            print(f"== language model phase, run {run}/{args.llm_runs}", flush=True)
            llm_runs.append(await bench.llm_phase())
        results["llm_runs"] = llm_runs
        results["llm_headline"] = _llm_headline(llm_runs)
        print(json.dumps(results["llm_headline"], indent=2))
    results["headline"] = _headline(results["runs"])
    results["disturbed"] = bench.disturbed
    results["warm_up_unreplied"] = bench.warm_up_unreplied
    path = save_result("answers", results)
    print(json.dumps(results["headline"], indent=2))
    print(f"== saved {path}")


def _llm_headline(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the LLM-phase runs, phase by phase (model idle, model calls in flight)."""
    out: dict[str, Any] = {}
    for i, name in enumerate(("model idle", "model calls in flight")):
        phases = [r["phases"][i] for r in runs if len(r["phases"]) > i]
        for key in ("p50", "p99"):
            values = [p["internal_ms"][key] for p in phases]
            out[f"{name}: {key} ms"] = {"median": median(values), "values": values}
        cpu = [p["cpu_ms_per_answer"] for p in phases if p["cpu_ms_per_answer"] is not None]
        out[f"{name}: cpu ms/answer"] = {"median": median(cpu), "values": cpu}
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.answers",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", default=DEFAULT_DB, help="benchmark database (created if missing)")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument(
        "--history-days",
        type=int,
        default=20,
        help="days of practice history per student, 5 responses a day (200: 10 million responses)",
    )
    parser.add_argument("--runs", type=int, default=None, help="3 (1 with --quick)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="length of each rate phase: 30 (5 with --quick)",
    )
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[50.0, 100.0],
        help="open-loop arrival rates, answers/s",
    )
    parser.add_argument(
        "--burst", type=int, default=None, help="answers pushed at once: 5000 (1000 with --quick)"
    )
    parser.add_argument("--reply-timeout", type=float, default=120.0)
    parser.add_argument("--llm-seconds", type=float, default=None, help="30 (10 with --quick)")
    parser.add_argument("--llm-delay", type=float, default=2.0, help="seconds per model call")
    parser.add_argument(
        "--llm-rate", type=float, default=50.0, help="graded answers/s during the LLM phase"
    )
    parser.add_argument(
        "--llm-spread",
        type=float,
        default=None,
        help="start the busy students over this many seconds (default: --llm-delay, so the "
        "calls come back spread out; 0: all at once, a wave of verdicts every --llm-delay)",
    )
    parser.add_argument("--skip-echo", action="store_true")
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--llm-runs", type=int, default=None, help="3 (1 with --quick)")
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        default=0,
        help="CONCURRENT_UPDATES for Dars (0: the default setting)",
    )
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the bot processes (settings, or BENCH_* of bench/botproc.py)",
    )
    parser.add_argument(
        "--fake-model",
        choices=("process", "inline"),
        default="process",
        help="where the fake model provider runs: a process of its own, or this one (beside "
        "the Bot API emulator and the load generator, sharing their event loop)",
    )
    parser.add_argument(
        "--webhook",
        type=int,
        default=0,
        metavar="N",
        help="Dars as N webhook processes sharing one port (0: one process, long polling)",
    )
    parser.add_argument(
        "--py-spy", help="record the Dars saturation phase with py-spy to PREFIX-runN.txt"
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="do not wait for a quiet machine (load < 0.7, no pytest)",
    )
    parser.add_argument(
        "--generator-loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="event loop of this process (emulator, fake model, load generator)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the bot on a core of its own, this process and the fake model on the others, "
        "as Telegram's and OpenAI's servers would not share the bot's machine (PostgreSQL "
        "is not pinned)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 run, 5 s phases, a 1000-answer burst, 10 s LLM phase",
    )
    args = parser.parse_args(argv)
    quick = {"runs": 1, "seconds": 5.0, "burst": 1000, "llm_seconds": 10.0, "llm_runs": 1}
    full = {"runs": 3, "seconds": 30.0, "burst": 5000, "llm_seconds": 30.0, "llm_runs": 3}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for bound, name in ((args.seconds, "seconds"), (args.llm_seconds, "llm-seconds")):
        if not 0 < bound <= 600:
            parser.error(f"--{name} must be in (0, 600]")
    if not 1 <= args.history_days <= 365:
        parser.error("--history-days must be in [1, 365] (the history ends before 2026)")
    if not 0 < args.burst <= len(MAIN_POOL):
        parser.error(f"--burst must be in (0, {len(MAIN_POOL)}]")
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        parser.error("--pin needs at least 2 cores")
    return args


def _pin_harness() -> int:
    """Move this process (and the processes it starts) off the first core; returns it."""
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, cores[1:])
    return cores[0]


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    args.bot_core = _pin_harness() if args.pin else None
    with asyncio.Runner(loop_factory=lambda: new_event_loop(args.generator_loop)) as runner:
        runner.run(main_async(args))


if __name__ == "__main__":
    main()
