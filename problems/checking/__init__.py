"""The rule-based answer checker: grades a student's reply against a bank answer key.

Pure and total: no I/O, and no input string ever makes it raise.  The four verdicts:

* ``CORRECT`` - the reply is the answer (or equivalent to it, in an allowed form);
* ``INCORRECT`` - the reply is readable and is not the answer;
* ``NEEDS_FORM`` - the right value in the wrong shape (``18/24`` when lowest terms are
  asked, ``(x+2)(x+3)`` when the expanded form is asked): the student is told what to
  change and asked again; it is never counted wrong;
* ``UNREADABLE`` - the checker cannot read the reply confidently (``4 . 4``, ``maybe
  2djkajdajk``, ``2.3`` for a ratio): the bot asks again with an example of the expected
  form (:func:`example_answer`), because marking a child wrong for our own parsing failure
  is the worse mistake.  Unreadable is never incorrect.

Every result carries a short English ``reason`` for operators (``dars problems check``).
:func:`key_issues` lists what is wrong with an answer key itself, for the bank loader.
See docs/answers.md for every answer type and form.
"""

from problems.checking.grading import check_answer, hint_reveals_answer, warm_key
from problems.checking.result import FORMS_BY_TYPE, CheckResult, Verdict
from problems.checking.rules import example_answer, key_issues
from problems.numbers import parse_number, to_bengali_digits

__all__ = [
    "FORMS_BY_TYPE",
    "CheckResult",
    "Verdict",
    "check_answer",
    "example_answer",
    "hint_reveals_answer",
    "key_issues",
    "parse_number",
    "to_bengali_digits",
    "warm_key",
]
