"""Problem templates: parameters, constraints and ``{expression}`` placeholders.

A bank problem with ``params`` is a *template* (format: ``docs/templates.md``). A variant
is ``(template, seed)``: :func:`instantiate` draws the parameters from a stream of random
numbers determined by ``f"{id}:{seed}"`` alone (BLAKE2b, so stable across processes and
Python versions), redraws until every constraint holds, fills in every text field and
returns a plain :class:`~problems.schema.ProblemSpec`.

Expressions are evaluated by the ``simpleeval`` library with a restricted set of nodes,
operators and functions; before that, every expression's syntax tree (built by Python's
own ``ast`` parser, never executed) is checked against a whitelist so that an unsafe or
misspelt expression is reported when the bank is loaded, with the field it is in.
Numbers are exact: ``/`` on integers gives a :class:`fractions.Fraction`.
"""

from problems.templates.checks import (
    TemplateReport,
    check_template,
    validate_template,
    variant_seeds,
)
from problems.templates.counting import VariantCount, count_variants, distinct_questions
from problems.templates.drawing import instantiate, prepare
from problems.templates.values import FUNCTIONS, MAX_TRIES, MIN_VARIANTS, TemplateError

__all__ = [
    "FUNCTIONS",
    "MAX_TRIES",
    "MIN_VARIANTS",
    "TemplateError",
    "TemplateReport",
    "VariantCount",
    "check_template",
    "count_variants",
    "distinct_questions",
    "instantiate",
    "prepare",
    "validate_template",
    "variant_seeds",
]
