"""Tests for problem templates: parameters, placeholders, safety, validation, determinism."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from problems.schema import ProblemSpec
from problems.templates import (
    FUNCTIONS,
    TemplateError,
    check_template,
    count_variants,
    instantiate,
    validate_template,
    variant_seeds,
)
from problems.types import AnswerType

ROOT = Path(__file__).resolve().parents[2]

HINTS = {
    "en": ["Think about it.", "Write it down.", "Now work it out."],
    "bn": ["ভেবে দেখো।", "লিখে ফেলো।", "এবার হিসাব করো।"],
}


def template(**fields: Any) -> ProblemSpec:
    """A valid template (a + b with a < b), with any field replaced."""
    data: dict[str, Any] = {
        "id": "g6-add-t01",
        "grade": 6,
        "topic": "integers",
        "difficulty": 1,
        "params": {"a": {"range": ["2", "20"]}, "b": {"range": ["2", "20"]}},
        "constraints": ["a < b"],
        "answer_type": "numeric",
        "answer": "{a + b}",
        "question": {"en": "What is {a} + {b}?", "bn": "{a} + {b} = কত?"},
        "hints": HINTS,
        "explanation": {"en": "{a} + {b} = {a + b}", "bn": "{a} + {b} = {a + b}"},
    }
    data.update(fields)
    return ProblemSpec.model_validate(data)


def render(text: str, params: dict[str, Any] | None = None, seed: int = 0) -> str:
    """The English question of a template whose question is ``text``."""
    spec = template(
        params=params or {"a": {"value": "3"}, "b": {"value": "4"}},
        constraints=[],
        question={"en": text, "bn": "প্রশ্ন"},
    )
    return instantiate(spec, seed).question.en


# --------------------------------------------------------------------------- instantiating


def test_instantiate_gives_a_plain_valid_problem() -> None:
    spec = template()
    variant = instantiate(spec, 7)
    assert not variant.is_template and variant.params is None and variant.constraints == []
    a, b = (int(n) for n in variant.question.en.removeprefix("What is ").rstrip("?").split(" + "))
    assert 2 <= a < b <= 20
    assert variant.answer == str(a + b)
    assert variant.explanation is not None and variant.explanation.en == f"{a} + {b} = {a + b}"
    assert (variant.id, variant.grade, variant.topic) == (spec.id, spec.grade, spec.topic)
    assert variant.answer_type is AnswerType.NUMERIC


def test_the_tutor_draws_without_rerunning_the_answer_rules_the_loader_ran() -> None:
    # An accepted answer that does not equal the answer: the loader's answer rules reject it.
    spec = template(accept=["{a + b + 1}"])
    with pytest.raises(TemplateError, match="not equivalent to the answer"):
        instantiate(spec, 3)
    assert any("not equivalent" in message for _loc, message in validate_template(spec))
    # The tutor draws variants of loaded templates (checked at load): only structure is
    # checked per variant, so a draw costs no grading of its own accept list.
    variant = instantiate(spec, 3, checked_at_load=True)
    assert variant.accept == [str(int(variant.answer) + 1)]
    # Structure still is: a variant with an empty question is refused either way.
    empty = template(question={"en": "{'' if a < 100 else 'x'}", "bn": "প্রশ্ন"})
    with pytest.raises(TemplateError, match="empty"):
        instantiate(empty, 3, checked_at_load=True)


def test_an_item_is_returned_unchanged() -> None:
    item = ProblemSpec.model_validate(
        {
            "id": "g6-x",
            "grade": 6,
            "topic": "integers",
            "difficulty": 1,
            "question": {"en": "1 + 1? {not a placeholder}", "bn": "১ + ১?"},
            "answer_type": "numeric",
            "answer": "2",
        }
    )
    assert instantiate(item, 3) is item
    assert variant_seeds(item) == () and validate_template(item) == []


def test_same_seed_same_variant_and_seeds_differ() -> None:
    spec = template()
    assert instantiate(spec, 5) == instantiate(spec, 5)
    # A fresh object with the same content (no cache shared) gives the same variant.
    assert instantiate(template(), 5) == instantiate(spec, 5)
    questions = {instantiate(spec, seed).question.en for seed in range(50)}
    assert len(questions) > 30


def test_variants_are_the_same_in_a_fresh_process() -> None:
    seeds = [0, 1, 17, 199, 123456]
    here = [instantiate(template(), seed).model_dump(mode="json") for seed in seeds]
    code = (
        "import json, sys\n"
        "sys.path.insert(0, 'tests/problems')\n"
        "from test_templates import template\n"
        "from problems.templates import instantiate\n"
        f"print(json.dumps([instantiate(template(), s).model_dump(mode='json') for s in {seeds}]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert json.loads(out.stdout) == here


def test_known_variant_is_stable() -> None:
    # The draw algorithm is part of the format: stored seeds must keep their numbers.
    assert instantiate(template(), 0).question.en == "What is 9 + 18?"
    assert instantiate(template(), 1).question.en == "What is 12 + 17?"


def test_bengali_text_gets_bengali_digits_and_english_latin() -> None:
    spec = template(
        params={"a": {"value": "12"}, "b": {"value": "frac(3, 4)"}},
        constraints=[],
        answer="{a * b}",
        question={"en": "Find {b} of {a}.", "bn": "{a} এর {b} অংশ কত? (১০ নয়)"},
        options=None,
    )
    variant = instantiate(spec, 0)
    assert variant.question.en == "Find 3/4 of 12."
    assert variant.question.bn == "১২ এর ৩/৪ অংশ কত? (১০ নয়)"
    assert variant.answer == "9"
    assert variant.explanation is not None
    assert variant.explanation.bn == "১২ + ৩/৪ = ৫১/৪"
    assert variant.explanation.en == "12 + 3/4 = 51/4"


def test_multiple_choice_options_en_latin_bn_bengali() -> None:
    spec = template(
        params={"n": {"range": ["11", "40"]}, "d": {"value": "n + 1"}, "e": {"value": "n - 1"}},
        constraints=[],
        answer_type="multiple_choice",
        answer="{n}",
        options={"en": ["{d}", "{n}", "{e}"], "bn": ["{d}", "{n}", "{e}"]},
        question={"en": "Which is {n}?", "bn": "কোনটি {n}?"},
        explanation=None,
    )
    variant = instantiate(spec, 3)
    assert variant.options is not None
    n = int(variant.answer)
    assert variant.options.en == [str(n + 1), str(n), str(n - 1)]
    digits = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
    assert variant.options.bn == [str(v).translate(digits) for v in (n + 1, n, n - 1)]


def test_paired_choice_uses_the_word_of_each_language() -> None:
    spec = template(
        params={
            "item": {"choice": {"en": ["pencils", "erasers"], "bn": ["পেনসিল", "রাবার"]}},
            "a": {"range": ["2", "30"]},
            "b": {"range": ["2", "30"]},
        },
        question={"en": "{a} {item} and {b} {item}?", "bn": "{a}টি {item} ও {b}টি {item}?"},
    )
    pairs = set()
    for seed in range(40):
        variant = instantiate(spec, seed)
        en_word = variant.question.en.split()[1]
        bn_word = variant.question.bn.split()[1]
        pairs.add((en_word, bn_word))
    assert pairs == {("pencils", "পেনসিল"), ("erasers", "রাবার")}


def test_choice_of_numbers_and_steps() -> None:
    values = set()
    for seed in range(60):
        spec = template(
            params={
                "a": {"choice": ["5", "-2", "2.5", "3/4"]},
                "b": {"range": ["10", "30", "10"]},
            },
            constraints=[],
            question={"en": "{a} and {b} and {a * 2}", "bn": "প্রশ্ন"},
        )
        values.add(instantiate(spec, seed).question.en)
    assert values == {
        f"{a} and {b} and {twice}"
        for a, twice in (("5", "10"), ("-2", "-4"), ("5/2", "5"), ("3/4", "3/2"))
        for b in (10, 20, 30)
    }


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("{a / b}", "3/4"),
        ("{b / a}", "4/3"),
        ("{(a - b) / b}", "-1/4"),
        ("{b / 2}", "2"),
        ("{frac(6, 4)}", "3/2"),
        ("{0.5 * b}", "2"),
        ("{0.1 + 0.2}", "3/10"),
        ("{a ** 2}", "9"),
        ("{2 ** -2}", "1/4"),
        ("{7 // 2} {7 % 2}", "3 1"),
        ("{{a}} {{{a}}}", "{a} {3}"),
        ("{'big' if a > 2 else 'small'}", "big"),
        ("{a < b and b < 5}", None),
        ("{gcd(12, 18)} {lcm(4, 6)} {abs(-3)} {min(a, b)} {max(a, b, 10)}", "6 12 3 3 10"),
        ("{round(frac(5, 2))} {round(frac(7, 2))} {round(frac(-5, 2))}", "3 4 -3"),
        ("{round(frac(2, 3), 2)} {floor(frac(7, 2))} {ceil(frac(7, 2))}", "67/100 3 4"),
        ("{sqrt(49)} {sqrt(frac(9, 4))}", "7 3/2"),
        ("{isprime(7)}", None),
        ("{'yes' if isprime(97) else 'no'} {'yes' if isprime(91) else 'no'}", "yes no"),
        ("{dec(frac(3, 4), 2)} {dec(frac(1, 3), 3)} {dec(frac(2, 3), 0)} {dec(-1, 1)}", None),
        ("{mixed(frac(7, 4))} {mixed(frac(-7, 4))} {mixed(frac(3, 4))} {mixed(8)}", None),
        ("{pct(frac(1, 4))} {pct(frac(1, 8))} {num(frac(5, 2))} {num(3)}", None),
        ("{lakh(100000)} {lakh(12345678)} {lakh(999)} {lakh(-1234)}", None),
        ("{sign(5)} {sign(-5)} {sign(frac(-1, 2))}", "+5 \u22125 \u22121/2"),
        ("{term(1, 'x')} {term(-1, 'x')} {term(3, 'x')} {term(-3, 'x')} {term(0, 'x')}", None),
        ("{term(frac(1, 2), 'y')} {term(-4, '')}", "(1/2)y \u22124"),
        ("x\u00b2 {signed_term(-1, 'x')} {signed_term(5, '')} {signed_term(2, 'y')}", None),
    ],
)
def test_expressions_and_functions(text: str, shown: str | None) -> None:
    expected = {
        "{a < b and b < 5}": None,
        "{isprime(7)}": None,
        "{dec(frac(3, 4), 2)} {dec(frac(1, 3), 3)} {dec(frac(2, 3), 0)} {dec(-1, 1)}": (
            "0.75 0.333 1 -1.0"
        ),
        "{mixed(frac(7, 4))} {mixed(frac(-7, 4))} {mixed(frac(3, 4))} {mixed(8)}": (
            "1 3/4 -1 3/4 3/4 8"
        ),
        "{pct(frac(1, 4))} {pct(frac(1, 8))} {num(frac(5, 2))} {num(3)}": "25% 12.5% 2.5 3",
        "{lakh(100000)} {lakh(12345678)} {lakh(999)} {lakh(-1234)}": (
            "1,00,000 1,23,45,678 999 -1,234"
        ),
        "{term(1, 'x')} {term(-1, 'x')} {term(3, 'x')} {term(-3, 'x')} {term(0, 'x')}": (
            "x \u2212x 3x \u22123x 0"
        ),
        "x\u00b2 {signed_term(-1, 'x')} {signed_term(5, '')} {signed_term(2, 'y')}": (
            "x\u00b2 \u2212 x + 5 + 2y"
        ),
    }.get(text, shown)
    params = {"a": {"value": "3"}, "b": {"value": "4"}}
    if expected is None:  # a true/false value is not something to show
        with pytest.raises(TemplateError, match="not a value to show"):
            render(text, params)
    else:
        assert render(text, params) == expected


def test_functions_are_exactly_the_documented_ones() -> None:
    assert set(FUNCTIONS) == {
        "gcd",
        "lcm",
        "abs",
        "min",
        "max",
        "round",
        "floor",
        "ceil",
        "sqrt",
        "frac",
        "isprime",
        "dec",
        "mixed",
        "pct",
        "num",
        "lakh",
        "sign",
        "term",
        "signed_term",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{sqrt(a)}", "sqrt(3) is not exact"),
        ("{num(frac(1, 3))}", "has no exact decimal form"),
        ("{a / (b - 4)}", "division by zero"),
        ("{a % 0}", "division by zero"),
        ("{2 ** 1000}", "exponent of '**' must be at most 100"),
        ("{99999 ** 99 * 99999 ** 99}", "number too large"),
        ("{'ab' * 3}", "cannot multiply"),
        ("{a + 'x'}", "cannot add"),
        ("{gcd(frac(1, 2), 4)}", "must be a whole number"),
        ("{dec(a, 20)}", "places must be 0 to 10"),
    ],
)
def test_evaluation_errors_name_the_field(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)) as info:
        render(text)
    assert info.value.loc == ("question", "en")


def test_bool_results_and_values_in_messages() -> None:
    spec = template(
        params={"a": {"value": "3"}, "b": {"value": "3"}},
        constraints=[],
        answer="{a / (a - b)}",
    )
    with pytest.raises(TemplateError) as info:
        instantiate(spec, 0)
    assert info.value.loc == ("answer",)
    assert "division by zero (with a=3, b=3)" in info.value.message


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a.__class__", "attribute access"),
        ("().__class__.__bases__", "attribute access"),
        ("__import__('os')", "unknown function '__import__'"),
        ("import os", "import is not allowed"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("[x for x in 'ab']", "comprehensions are not allowed"),
        ("sum(x for x in 'ab')", "comprehensions are not allowed"),
        ("[1, 2][0]", "indexing"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("f'{a}'", "f-strings are not allowed"),
        ("(b := 2)", "assignment"),
        ("a = 2", "assignment is not allowed"),
        ("1; 2", "single expression"),
        ("a ^ b", "the operator '\\^' is not allowed"),
        ("a << 40", "the operator '<<' is not allowed"),
        ("a in 'abc'", "'in' is not allowed"),
        ("gcd(a, b=2)", "no keyword arguments"),
        ("gcd(a)", "gcd\\(\\) takes at least 2 arguments \\(got 1\\)"),
        ("dec(a)", "dec\\(\\) takes 2 arguments"),
        ("zz + 1", "unknown parameter 'zz'"),
        ("bb + 1", "unknown parameter 'bb' \\(did you mean 'b'\\?\\)"),
        ("gcdd(a, b)", "unknown function 'gcdd' \\(did you mean 'gcd'\\?\\)"),
        ("gcd", "'gcd' is a function"),
        ("a(2)", "'a' is a parameter, not a function"),
        ("100000000000000000000", "below 10\\*\\*15"),
        ("'" + "x" * 300 + "'", "text longer than 200"),
        ("a +", "not a valid expression"),
    ],
)
def test_unsafe_or_unknown_expressions_are_rejected_before_evaluation(
    expression: str, message: str
) -> None:
    spec = template(question={"en": "What is {" + expression + "}?", "bn": "{a} + {b} = কত?"})
    issues = validate_template(spec)
    assert len(issues) == 1, issues
    loc, text = issues[0]
    assert loc == ("question", "en")
    assert text.startswith("placeholder ")
    assert re.search(message, text), text
    with pytest.raises(TemplateError):
        instantiate(spec, 0)


def test_braces_must_balance() -> None:
    spec = template(question={"en": "What is {a + {b}?", "bn": "x}"})
    assert validate_template(spec) == [
        (
            ("question", "en"),
            "placeholder 'a + {b': not a valid expression ('{' was never closed)",
        ),
        (("question", "bn"), "'}' without an opening '{' (write '}}' for a brace)"),
    ]


def test_quoted_braces_inside_a_placeholder() -> None:
    assert render("{'}' if a > 2 else '{'}") == "}"


def test_parameter_order_and_names() -> None:
    spec = template(
        params={"a": {"value": "b + 1"}, "b": {"range": ["1", "9"]}},
        constraints=[],
    )
    (loc, message), *_ = validate_template(spec)
    assert loc == ("params", "a", "value")
    assert "parameter 'b' is used before it is drawn" in message
    bad = template(params={"gcd": {"range": ["1", "2"]}, "if": {"range": ["1", "2"]}})
    locs = [loc for loc, _ in validate_template(bad) if loc[0] == "params"]
    assert locs == [("params", "gcd"), ("params", "if")]
    wrong_form = template(params={"a": {"ranges": ["1", "2"]}, "b": {"range": ["5", "1"]}})
    assert validate_template(wrong_form) == [
        (("params", "a", "ranges"), "unknown parameter form 'ranges': use range, choice or value"),
        (("params", "b", "range"), "range is empty: 5 > 1"),
    ]


# --------------------------------------------------------------------------- validation


def test_a_good_template_has_no_issues_and_200_distinct_seeds() -> None:
    spec = template()
    assert validate_template(spec) == []
    report = check_template(spec)
    assert report.issues == []
    assert report.variant_seeds == variant_seeds(spec)
    questions = [instantiate(spec, seed).question.en for seed in report.variant_seeds]
    # 171 pairs 2 <= a < b <= 20; scanning stops once new ones come rarely
    assert len(questions) == len(set(questions)) >= 160
    assert report.variant_seeds[:3] == (0, 1, 2)


def test_constraint_no_seed_satisfies() -> None:
    spec = template(constraints=["a < b", "a > 100"])
    assert validate_template(spec) == [
        (
            ("constraints", 1),
            "no variant found in 1,000 draws: constraint 'a > 100' failed 1000 times",
        )
    ]
    with pytest.raises(TemplateError) as info:
        instantiate(spec, 0)
    assert info.value.loc == ("constraints", 1)


def test_constraint_must_be_true_or_false() -> None:
    (loc, message), *_ = validate_template(template(constraints=["a - b"]))
    assert loc == ("constraints", 0)
    assert "must be true or false" in message


def test_too_many_rejected_draws() -> None:
    spec = template(constraints=["a * 7 == b * 3 or b == a + 17"])
    (loc, message), *_ = validate_template(spec)
    assert loc == ("constraints",)
    assert "reject too many draws" in message


def test_leaking_hint_is_reported_with_its_seed() -> None:
    hints = {"en": [*HINTS["en"][:2], "Count on {b} from {a}."], "bn": HINTS["bn"]}
    spec = template(
        params={"a": {"range": ["2", "9"]}, "b": {"choice": ["0", "1", "2", "3", "4", "5"]}},
        constraints=[],
        hints=hints,
    )
    issues = validate_template(spec)
    assert len(issues) == 1, issues
    loc, message = issues[0]
    assert loc == ("hints", "en", 2)
    assert message.startswith("reveals the answer ")
    assert "(seed " in message


def test_wrong_option_equal_to_the_answer_is_reported() -> None:
    spec = template(
        params={"a": {"range": ["2", "30"]}, "b": {"range": ["2", "30"]}},
        constraints=["a != b"],
        answer_type="multiple_choice",
        answer="{a + b}",
        options={"en": ["{a + b}", "{a * b}"], "bn": ["{a + b}", "{a * b}"]},
    )
    issues = dict(validate_template(spec))
    # a = 2, b = 2 is excluded, but a + b == a * b never happens otherwise: so no issue...
    assert issues == {}
    spec = template(
        params={"a": {"range": ["1", "30"]}, "b": {"range": ["1", "30"]}},
        constraints=["a != b"],
        answer_type="multiple_choice",
        answer="{a * b}",
        options={"en": ["{a * b}", "{frac(a * b * 2, 2) if a == 1 else a + b}"], "bn": ["x", "y"]},
    )
    locs = {loc for loc, _ in validate_template(spec)}
    assert ("options", "en", 1) in locs


def test_division_by_zero_on_some_seed_is_reported() -> None:
    spec = template(
        params={"a": {"range": ["1", "9"]}, "b": {"range": ["1", "9"]}},
        constraints=[],
        explanation={"en": "{a / (a - b)}", "bn": "ব্যাখ্যা"},
    )
    ((loc, message),) = validate_template(spec)
    assert loc == ("explanation", "en")
    assert "division by zero" in message and "(seed " in message


def test_too_few_variants() -> None:
    spec = template(params={"a": {"range": ["1", "4"]}, "b": {"range": ["5", "8"]}})
    assert validate_template(spec) == [
        (
            ("params",),
            "only 16 distinct variants (different English questions) in 200 seeds; a template "
            "needs at least 20",
        )
    ]


def test_three_hints_in_both_languages_required() -> None:
    assert (("hints",), "a template needs three hints in en and in bn") in validate_template(
        template(hints=None)
    )
    assert (("hints",), "a template needs three hints in bn too") in validate_template(
        template(hints={"en": HINTS["en"]})
    )


def test_variant_breaking_the_item_rules() -> None:
    spec = template(
        params={"a": {"range": ["1", "40"]}, "b": {"range": ["1", "40"]}},
        constraints=[],
        answer_type="multiple_choice",
        answer="{a}",
        options={"en": ["{a}", "{b}"], "bn": ["{a}", "{b}"]},
    )
    issues = dict(validate_template(spec))
    assert issues[("options", "en", 1)].startswith("duplicate option")
    numeric = template(answer="{'many' if a > 15 else a}")
    assert dict(validate_template(numeric))[("answer",)].startswith("'many' is not a number")


def test_answer_must_be_accepted_by_the_checker() -> None:
    spec = template(accept=["{a + b + 1}"])
    locs = {loc[0] for loc, _ in validate_template(spec)}
    assert locs & {"accept", "answer"}


# --------------------------------------------------------------------------- counting


def test_count_variants_is_exact_for_small_templates() -> None:
    result = count_variants(template())
    assert (result.distinct, result.method, result.error) == (171, "all", None)
    assert count_variants(template(), cap=100).distinct == 100


def test_count_variants_reports_a_failing_combination() -> None:
    spec = template(
        params={"a": {"range": ["1", "300"]}, "b": {"range": ["1", "300"]}},
        constraints=[],
        question={"en": "{a} {b} {12 / (a - 2)}", "bn": "প্রশ্ন"},
    )
    result = count_variants(spec)
    assert result.error is not None and "division by zero" in result.error


def test_count_variants_samples_huge_templates() -> None:
    spec = template(
        params={"a": {"range": ["1", "100000"]}, "b": {"range": ["1", "100000"]}},
        constraints=["a % 7 == b % 7"],
    )
    result = count_variants(spec)
    assert result.distinct == 10_000 and result.method in ("estimated", "cap")


# --------------------------------------------------------------------------- speed


def test_instantiate_costs_under_a_millisecond_p99() -> None:
    path = ROOT / "docs" / "templates.md"
    assert path.exists()
    spec = template(
        id="g6-hcf-two-numbers",
        params={
            "h": {"range": ["2", "9"]},
            "p": {"range": ["2", "9"]},
            "q": {"range": ["2", "9"]},
            "a": {"value": "h * p"},
            "b": {"value": "h * q"},
        },
        constraints=["gcd(p, q) == 1", "p != q"],
        answer="{h}",
        question={"en": "Find the HCF of {a} and {b}.", "bn": "{a} ও {b} এর গসাগু নির্ণয় করো।"},
        hints={
            "en": ["Write the factors of {a}.", "Write the factors of {b}.", "Find the largest."],
            "bn": ["{a} এর গুণনীয়ক লেখো।", "{b} এর গুণনীয়ক লেখো।", "সবচেয়ে বড়টি খোঁজো।"],
        },
        explanation={
            "en": "{a} = {h} × {p} and {b} = {h} × {q}, so the HCF is {h}.",
            "bn": "{a} = {h} × {p} এবং {b} = {h} × {q}, তাই গসাগু {h}।",
        },
    )
    assert validate_template(spec) == []
    instantiate(spec, 10_000)  # compile once
    times = []
    for seed in range(1000):  # every seed new: no variant comes from the cache
        start = time.process_time()
        instantiate(spec, seed)
        times.append(time.process_time() - start)
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    assert p99 < 0.001, f"p99 {p99 * 1000:.3f} ms"
    start = time.perf_counter()
    for _ in range(1000):
        instantiate(spec, 5)
    assert (time.perf_counter() - start) / 1000 < 0.0001  # the variant cache


def test_fraction_values_of_choices_are_exact() -> None:
    spec = template(
        params={"x": {"choice": ["0.1", "0.2"]}, "a": {"range": ["1", "30"]}},
        constraints=[],
        answer="{a}",
        explanation=None,
        question={"en": "{a} {x + x + x}", "bn": "প্রশ্ন"},
    )
    shown = {instantiate(spec, seed).question.en.split()[1] for seed in range(30)}
    assert shown == {str(Fraction(3, 10)), str(Fraction(3, 5))}
