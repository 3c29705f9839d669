"""Answer-checker benchmark: the cost of grading one reply, by kind of answer.

Pure CPU, no database or network.  For each kind (numeric, multiple_choice, text,
expression, ratio, time, number words) it builds a few answer keys, warms them (the
bank answer is parsed once and cached, as in the running bot), then grades thousands of
*distinct* student replies (right, wrong, other forms, unreadable), timing every call of
``check_answer`` in thread CPU time.  Replies are never repeated, so the student's text is
always parsed afresh: the figures are the uncached cost.  A second pass repeats the same replies to
show what the caches give.

    python -m bench.checker              # about 20 s
    python -m bench.checker --quick      # a smoke run
    python -m bench.checker --save       # also write bench/results/checker-*.json

The target: expression p99 <= 2 ms (cold).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal

from problems import algebra
from problems.checking import check_answer, warm_key
from problems.types import AnswerForm, AnswerKey, AnswerType

Case = tuple[AnswerKey, str]
KINDS = ("numeric", "multiple_choice", "text", "expression", "ratio", "time", "number_words")
EXPRESSION_P99_TARGET_US = 2000.0


def _numeric(rng: random.Random, n: int) -> list[Case]:
    out: list[Case] = []
    forms = [None, AnswerForm.LOWEST_TERMS, AnswerForm.DECIMAL, AnswerForm.PERCENT]
    for i in range(n):
        p, q = rng.randint(1, 60), rng.randint(2, 12)
        form = forms[i % len(forms)]
        key = AnswerKey(
            AnswerType.NUMERIC,
            f"{p}/{q}",
            form=form,
            tolerance=Decimal("0.01") if i % 7 == 0 else None,
        )
        k = rng.randint(1, 9)
        reply = rng.choice(
            [
                f"{p * k}/{q * k}",
                f"{p / q:.{rng.randint(1, 4)}f}",
                f"{rng.randint(-999, 9999)}",
                f"x = {p}/{q}",
                f"{p // q} {p % q}/{q}",
                f"{p}/{q} cm",
                f"{100 * p / q:.1f}%",
                f"{rng.randint(1, 99)} . {rng.randint(1, 9)}",
                f"{rng.randint(1, 99)}abc{i}",
                f"৳ {rng.randint(1, 9999)}",
            ]
        )
        out.append((key, reply + " " * (i % 3)))
    return out


def _choice(rng: random.Random, n: int) -> list[Case]:
    keys = [
        AnswerKey(
            AnswerType.MULTIPLE_CHOICE,
            "12 cm",
            ("10 cm", "12 cm", "14 cm", "16 cm"),
            ("১০ সেমি", "১২ সেমি", "১৪ সেমি", "১৬ সেমি"),
        ),
        AnswerKey(
            AnswerType.MULTIPLE_CHOICE,
            "x + 7",
            ("7x", "x + 7", "x − 7", "7 − x"),
            ("৭x", "x + ৭", "x − ৭", "৭ − x"),
        ),
        AnswerKey(
            AnswerType.MULTIPLE_CHOICE,
            "a² + 2ab + b²",
            ("a² + b²", "a² + 2ab + b²", "a² − 2ab + b²", "2a + 2b"),
        ),
        AnswerKey(
            AnswerType.MULTIPLE_CHOICE,
            "2:3",
            ("3:2", "2:3", "12:30", "4:5"),
            ("৩:২", "২:৩", "১২:৩০", "৪:৫"),
        ),
        AnswerKey(
            AnswerType.MULTIPLE_CHOICE,
            "Triangle",
            ("Square", "Triangle", "Circle"),
            ("বর্গ", "ত্রিভুজ", "বৃত্ত"),
        ),
    ]
    replies = [
        lambda i: rng.choice("ABCDabcdকখগঘ"),
        lambda i: f"option {rng.choice('ABCD')}",
        lambda i: f"{rng.choice([10, 12, 14, 16, 13])} cm" + " " * (i % 4),
        lambda i: f"{rng.randint(1, 9)}+x" + " " * (i % 3),
        lambda i: f"a^2 + {rng.randint(1, 3)}ab + b^2" + " " * (i % 3),
        lambda i: f"{rng.randint(1, 5)}:{rng.randint(1, 5)}",
        lambda i: (
            rng.choice(["triangel", "Triangle", "circle", "ত্রিভুজ", "hexagon"]) + "!" * (i % 3)
        ),
        lambda i: f"i think it is {rng.choice('ABCD')}" + "." * (i % 3),
    ]
    return [(rng.choice(keys), rng.choice(replies)(i)) for i in range(n)]


def _text(rng: random.Random, n: int) -> list[Case]:
    keys = [
        AnswerKey(
            AnswerType.TEXT,
            "isosceles",
            accept=("isosceles triangle", "সমদ্বিবাহু"),
            reject=("equilateral",),
        ),
        AnswerKey(AnswerType.TEXT, "hypotenuse", accept=("অতিভুজ",)),
        AnswerKey(AnswerType.TEXT, "inverse", accept=("indirect", "ব্যস্ত")),
        AnswerKey(AnswerType.TEXT, "even"),
        AnswerKey(AnswerType.TEXT, "True"),
    ]
    words = [
        "isoceles",
        "an isosceles triangle",
        "equilateral",
        "hypotenous",
        "অতিভূজ",
        "ব্যস্ত সমানুপাতিক",
        "indirect proportion",
        "it's even",
        "odd",
        "T",
        "false",
        "I think it is isosceles",
        "scalene",
        "সমবাহু",
        "xyzzy",
        "isosceles not equilateral",
    ]
    out = []
    for i in range(n):
        w = rng.choice(words)
        out.append((rng.choice(keys), w + ("." * (i % 3)) + (" " * (i // 3 % 3))))
    return out


def _expression(rng: random.Random, n: int) -> list[Case]:
    out: list[Case] = []
    forms = [None, AnswerForm.EXPANDED, AnswerForm.FACTORED, AnswerForm.SIMPLIFIED]
    var_pairs = ["x", "a", "y", "p"]
    for i in range(n):
        v = var_pairs[i % len(var_pairs)]
        a, b = rng.randint(-9, 9) or 1, rng.randint(-9, 9) or 2
        form = forms[i % len(forms)]
        expanded = f"{v}^2 + {a + b}{v} + {a * b}".replace("+ -", "- ")
        factored = f"({v} + {a})({v} + {b})".replace("+ -", "- ")
        answer = factored if form is AnswerForm.FACTORED else expanded
        key = AnswerKey(AnswerType.EXPRESSION, answer, form=form)
        c = rng.randint(-9, 9)
        reply = rng.choice(
            [
                factored,
                expanded,
                f"{a * b} + {a + b}{v} + {v}²",
                f"({v}+{b})({v}+{a})",
                f"{v}^2 + {a + b + c}{v} + {a * b}",
                f"{v}*{v} + {a}{v} + {b}{v} + {a * b}",
                f"({v} + {a})^2",
                f"2({v} + {c}) + {v}^2",
                f"{v}2 + {a}{v}",
                f"{v}^{rng.randint(2, 40)}",
                "(" * rng.randint(1, 12) + v + ")" * rng.randint(1, 12),
            ]
        ).replace("+ -", "- ")
        out.append((key, reply + " " * (i % 5)))
    return out


def _ratio(rng: random.Random, n: int) -> list[Case]:
    out: list[Case] = []
    for i in range(n):
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        key = AnswerKey(
            AnswerType.RATIO, f"{a}:{b}", form=AnswerForm.LOWEST_TERMS if i % 2 else None
        )
        k = rng.randint(1, 9)
        reply = rng.choice(
            [
                f"{a * k}:{b * k}",
                f"{a * k} : {b * k}",
                f"{a} to {b}",
                f"{a}.{b}",
                f"{a}/{b}",
                f"{b}:{a}",
                f"{a}ঃ{b}",
                f"{a}:{b}:{k}",
            ]
        )
        out.append((key, reply + " " * (i % 4)))
    return out


def _time(rng: random.Random, n: int) -> list[Case]:
    out: list[Case] = []
    for i in range(n):
        h, m = rng.randint(0, 12), rng.choice([0, 15, 30, 45, rng.randint(0, 59)])
        key = AnswerKey(AnswerType.TIME, f"{h}:{m:02d}")
        reply = rng.choice(
            [
                f"{h}:{m:02d}",
                f"{h:02d}:{m:02d}",
                f"{h}.{m:02d}",
                f"{h * 60 + m} minutes",
                f"{h} hours {m} minutes",
                f"{h}/{m or 30}",
                f"{h}:{rng.randint(60, 99)}",
                f"{h}:{m:02d} pm",
                f"সাড়ে {h}টা",
            ]
        )
        out.append((key, reply + " " * (i % 4)))
    return out


_EN = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_BN = ["এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়"]


def _words(rng: random.Random, n: int) -> list[Case]:
    out: list[Case] = []
    for i in range(n):
        value = rng.randint(1, 99)
        key = AnswerKey(AnswerType.NUMERIC, str(value))
        reply = rng.choice(
            [
                f"{rng.choice(_TENS)}-{rng.choice(_EN)}",
                f"{rng.choice(_EN)} hundred and {rng.choice(_TENS)} {rng.choice(_EN)}",
                f"{rng.choice(_BN)} হাজার",
                f"সাড়ে {rng.choice(_BN)}",
                f"{rng.choice(_EN)} and a half",
                f"{rng.randint(1, 9)} lakh",
                f"I think it's {rng.choice(_EN)}",
                f"{rng.choice(_EN)} 0 {rng.choice(_EN)}",
                f"উত্তর {rng.choice(_BN)}",
            ]
        )
        out.append((key, reply + " " * (i % 4)))
    return out


GENERATORS: dict[str, Callable[[random.Random, int], list[Case]]] = {
    "numeric": _numeric,
    "multiple_choice": _choice,
    "text": _text,
    "expression": _expression,
    "ratio": _ratio,
    "time": _time,
    "number_words": _words,
}


def _percentile(sorted_us: list[float], q: float) -> float:
    if not sorted_us:
        return 0.0
    i = min(len(sorted_us) - 1, max(0, round(q * (len(sorted_us) - 1))))
    return sorted_us[i]


def _time_cases(cases: list[Case]) -> list[float]:
    # CPU time of this thread, so a busy machine's preemptions do not pose as checker cost
    # (wall-clock p99 on a loaded 2-core box is mostly the scheduler).
    out = []
    clock = time.thread_time_ns
    for key, reply in cases:
        t0 = clock()
        check_answer(key, reply)
        out.append((clock() - t0) / 1000)
    return out


def measure(n: int, seed: int = 19) -> dict[str, dict[str, float]]:
    """Per kind: n, p50/p99/max in microseconds (cold), and p50/p99 when repeated."""
    algebra.preload()  # SymPy is imported at start-up in the bot too
    results: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        rng = random.Random(f"{seed}-{kind}")
        cases = GENERATORS[kind](rng, n)
        # Distinct replies only: the student's text is parsed afresh every time.
        cases = list(dict.fromkeys(cases))
        for key in {k for k, _ in cases}:
            warm_key(key)  # the bank side is parsed once per problem, as in the bot
        gc.collect()
        gc.disable()
        try:
            cold = sorted(_time_cases(cases))
            warm = sorted(_time_cases(cases))
        finally:
            gc.enable()
        results[kind] = {
            "n": len(cases),
            "p50_us": round(_percentile(cold, 0.50), 1),
            "p99_us": round(_percentile(cold, 0.99), 1),
            "max_us": round(cold[-1], 1),
            "repeat_p50_us": round(_percentile(warm, 0.50), 1),
            "repeat_p99_us": round(_percentile(warm, 0.99), 1),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--n", type=int, default=None, help="replies per kind")
    parser.add_argument("--save", action="store_true", help="write bench/results/checker-*.json")
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 5000)
    results = measure(n)
    print(
        f"{'kind':<16} {'n':>6} {'p50 µs':>9} {'p99 µs':>9} {'max µs':>9} "
        f"{'repeat p50':>11} {'repeat p99':>11}"
    )
    for kind, r in results.items():
        print(
            f"{kind:<16} {int(r['n']):>6} {r['p50_us']:>9.1f} {r['p99_us']:>9.1f} "
            f"{r['max_us']:>9.1f} {r['repeat_p50_us']:>11.1f} {r['repeat_p99_us']:>11.1f}"
        )
    p99 = results["expression"]["p99_us"]
    verdict = "ok" if p99 <= EXPRESSION_P99_TARGET_US else "OVER TARGET"
    print(f"expression p99 {p99:.0f} µs (target ≤ {EXPRESSION_P99_TARGET_US:.0f} µs): {verdict}")
    if args.save:
        from bench.common import save_result

        path = save_result("checker", {"n": n, "results": results})
        print(f"saved {path}")
    else:
        print(json.dumps({"n": n}, separators=(",", ":")))
    return 0 if p99 <= EXPRESSION_P99_TARGET_US else 1


if __name__ == "__main__":
    raise SystemExit(main())
