"""Inline keyboards and the callback data behind them.

Callback data comes from the client and can be forged, so it is parsed strictly here and
every id in it is checked again against the database by the services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.practice import ProblemView
from bot.texts import GRADE_NUMBERS, LANGUAGES, grade_name, language_name, option_letters, t
from problems.types import AnswerType

LANGUAGE = "lang"
GRADE = "grade"
NAME = "name"
SETTINGS = "set"
PRACTICE = "go"
ANSWER = "ans"
HINT = "hint"
SKIP = "skip"
MORE = "more"
REMINDER = "rem"
# The extra of a skip button's data that confirms it (the first tap only asks).
SKIP_CONFIRMED = 1
# The extra of the hint button once every level is shown: it stays in place, says so.
NO_MORE_HINTS = 4

_CALLBACK = re.compile(r"^([a-z]{2,5})(?::([a-z0-9]{1,8}))?(?::(\d{1,12}):(\d{1,2})(?::(\d))?)?$")


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    arg: str | None = None
    session_id: int | None = None
    position: int | None = None
    extra: int | None = None


def parse_callback(data: str | None) -> Callback | None:
    """Parse our own callback data; anything else (old or forged) gives None."""
    match = _CALLBACK.match(data or "")
    if not match:
        return None
    action, arg, sid, pos, extra = match.groups()
    return Callback(
        action=action,
        arg=arg,
        session_id=int(sid) if sid else None,
        position=int(pos) if pos else None,
        extra=int(extra) if extra else None,
    )


def _step(action: str, view: ProblemView, extra: int | None = None) -> str:
    data = f"{action}:s:{view.session_id}:{view.position}"
    return data if extra is None else f"{data}:{extra}"


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(language_name(code), callback_data=f"{LANGUAGE}:{code}")
                for code in LANGUAGES
            ]
        ]
    )


def grade_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(grade_name(lang, grade), callback_data=f"{GRADE}:{grade}")
                for grade in GRADE_NUMBERS
            ]
        ]
    )


def name_keyboard(lang: str, name: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, "keep_name", name=name), callback_data=f"{NAME}:keep")],
            [InlineKeyboardButton(t(lang, "change_name"), callback_data=f"{NAME}:change")],
        ]
    )


def practice_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "practice_button"), callback_data=PRACTICE)]]
    )


def more_practice_keyboard(lang: str) -> InlineKeyboardMarkup:
    """Today's session is done: another set, for learning (not for the streak)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "more_button"), callback_data=MORE)]]
    )


def reminder_choice_keyboard(
    hour: int, minute: int, labels: tuple[str, str]
) -> InlineKeyboardMarkup:
    """A 12-hour time without am/pm: the evening and the morning one (``labels``, in words)."""
    evening, morning = (hour % 12) + 12, hour % 12
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    labels[0], callback_data=f"{REMINDER}:{evening:02d}{minute:02d}"
                ),
                InlineKeyboardButton(
                    labels[1], callback_data=f"{REMINDER}:{morning:02d}{minute:02d}"
                ),
            ]
        ]
    )


def skip_confirm_keyboard(session_id: int, position: int, lang: str) -> InlineKeyboardMarkup:
    """Skipping shows the answer: one more tap to be sure (Back sits where Skip was)."""
    data = f"{SKIP}:s:{session_id}:{position}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "skip_yes_button"), callback_data=f"{data}:{SKIP_CONFIRMED}"
                ),
                InlineKeyboardButton(t(lang, "skip_back_button"), callback_data=PRACTICE),
            ]
        ]
    )


def settings_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "set_language_button"), callback_data="set:lang"),
                InlineKeyboardButton(t(lang, "set_grade_button"), callback_data="set:grade"),
            ],
            [
                InlineKeyboardButton(t(lang, "set_name_button"), callback_data="set:name"),
                InlineKeyboardButton(t(lang, "set_reminder_button"), callback_data="set:rem"),
            ],
        ]
    )


def problem_keyboard(view: ProblemView, lang: str) -> InlineKeyboardMarkup:
    """Option buttons (multiple choice), then Hint and Skip.

    The Hint button stays in its place when the hints run out ("no more hints"), so a tap
    on the same spot never lands on Skip."""
    rows: list[list[InlineKeyboardButton]] = []
    card = view.card
    if card.answer_type is AnswerType.MULTIPLE_CHOICE:
        letters = option_letters(lang)
        for index, option in enumerate(card.options[lang]):
            label = f"{letters[index]}) {option}"
            rows.append([InlineKeyboardButton(label, callback_data=_step(ANSWER, view, index))])
    tools = []
    if view.hints_used < 3:
        tools.append(
            InlineKeyboardButton(
                t(lang, "hint_button", left=3 - view.hints_used),
                callback_data=_step(HINT, view, view.hints_used + 1),
            )
        )
    else:
        tools.append(
            InlineKeyboardButton(
                t(lang, "hints_used_up_button"), callback_data=_step(HINT, view, NO_MORE_HINTS)
            )
        )
    tools.append(InlineKeyboardButton(t(lang, "skip_button"), callback_data=_step(SKIP, view)))
    rows.append(tools)
    return InlineKeyboardMarkup(rows)


# ---------------------------------------------------------------- parents, classes, privacy
# Each of these has its own strict pattern; ids in them are only a choice among the caller's
# own links, which the services look up again by the caller's Telegram id.
UNLINK = "fu"
PARENT_SETTING = "fs"
CLASS_JOIN = "cj"
CLASS_LINK = "cl"
TEACHER_LANGUAGE = "tl"
PERSON_LANGUAGE = "pl"
DELETE = "del"
CANCEL = "cx"

_UNLINK = re.compile(rf"^{UNLINK}:(?:(all)|c:(\d{{1,12}}))$")
_PARENT_SETTING = re.compile(rf"^{PARENT_SETTING}:(weekly|daily|lang)$")
_CLASS_JOIN = re.compile(rf"^{CLASS_JOIN}:([A-Za-z0-9_-]{{16,62}})$")
_CLASS_LINK = re.compile(rf"^{CLASS_LINK}:(\d{{1,12}})$")


def parse_unlink(data: str | None) -> int | str | None:
    """``fu:all`` → "all" (a student's parents), ``fu:c:<id>`` → a child id, else None."""
    match = _UNLINK.match(data or "")
    if not match:
        return None
    return "all" if match[1] else int(match[2])


def parse_person_language(data: str | None) -> str | None:
    """``pl:en`` / ``pl:bn`` → the language a parent or teacher chose, else None."""
    match = re.fullmatch(rf"{PERSON_LANGUAGE}:(en|bn)", data or "")
    return match[1] if match else None


def person_language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("English", callback_data=f"{PERSON_LANGUAGE}:en"),
                InlineKeyboardButton("বাংলা", callback_data=f"{PERSON_LANGUAGE}:bn"),
            ]
        ]
    )


def parse_parent_setting(data: str | None) -> str | None:
    match = _PARENT_SETTING.match(data or "")
    return match[1] if match else None


def parse_class_join(data: str | None) -> str | None:
    """The class-link token a Join button carries, else None."""
    match = _CLASS_JOIN.match(data or "")
    return match[1] if match else None


def parse_class_link(data: str | None) -> int | None:
    match = _CLASS_LINK.match(data or "")
    return int(match[1]) if match else None


def _cancel(lang: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(lang, "cancel_button"), callback_data=CANCEL)


def unlink_parents_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "unlink_yes"), callback_data=f"{UNLINK}:all"),
                _cancel(lang),
            ]
        ]
    )


def unlink_children_keyboard(
    lang: str, children: tuple[tuple[int, str], ...]
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "unlink_child_button", name=name), callback_data=f"{UNLINK}:c:{child_id}"
            )
        ]
        for child_id, name in children
    ]
    rows.append([_cancel(lang)])
    return InlineKeyboardMarkup(rows)


def parent_settings_keyboard(lang: str, *, weekly: bool, daily: bool) -> InlineKeyboardMarkup:
    def state(on: bool) -> str:
        return t(lang, "state_on" if on else "state_off")

    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "parent_weekly_button", state=state(weekly)),
                    callback_data=f"{PARENT_SETTING}:weekly",
                ),
                InlineKeyboardButton(
                    t(lang, "parent_daily_button", state=state(daily)),
                    callback_data=f"{PARENT_SETTING}:daily",
                ),
            ],
            [
                InlineKeyboardButton(
                    t(lang, "switch_language_button"), callback_data=f"{PARENT_SETTING}:lang"
                )
            ],
        ]
    )


def join_class_keyboard(lang: str, token: str) -> InlineKeyboardMarkup:
    """Join (the student's consent) carries the link's token, to be checked again on tap."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "join_button"), callback_data=f"{CLASS_JOIN}:{token}"
                ),
                _cancel(lang),
            ]
        ]
    )


def class_links_keyboard(lang: str, classes: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """A fresh join link for each class, and the teacher's other language."""
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "class_link_button", name=name), callback_data=f"{CLASS_LINK}:{cid}"
            )
        ]
        for cid, name in classes
    ]
    rows.append(
        [InlineKeyboardButton(t(lang, "switch_language_button"), callback_data=TEACHER_LANGUAGE)]
    )
    return InlineKeyboardMarkup(rows)


def delete_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "delete_yes"), callback_data=f"{DELETE}:yes"),
                _cancel(lang),
            ]
        ]
    )


# Operators: remove a teacher (ask, then confirm). The id is checked again on each tap, and
# only operators' taps are obeyed.
TEACHER_REMOVE = "tcrm"
TEACHER_REMOVE_OK = "tcok"
_TEACHER_BUTTON = re.compile(rf"^(?:{TEACHER_REMOVE}|{TEACHER_REMOVE_OK}):(\d{{1,15}})$")
# Telegram shows at most 100 buttons; more teachers than this are removed by argument.
TEACHER_BUTTONS_MAX = 30


def parse_teacher_button(data: str | None) -> int | None:
    """``tcrm:<id>`` or ``tcok:<id>`` → the teacher's Telegram id, else None."""
    match = _TEACHER_BUTTON.match(data or "")
    return int(match.group(1)) if match else None


def teachers_keyboard(lang: str, telegram_ids: list[int]) -> InlineKeyboardMarkup | None:
    """One remove button per teacher, three a row."""
    buttons = [
        InlineKeyboardButton(
            t(lang, "teachers_remove_button", id=str(tid)),
            callback_data=f"{TEACHER_REMOVE}:{tid}",
        )
        for tid in telegram_ids[:TEACHER_BUTTONS_MAX]
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def teacher_remove_keyboard(lang: str, telegram_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "teachers_confirm_button"),
                    callback_data=f"{TEACHER_REMOVE_OK}:{telegram_id}",
                ),
                _cancel(lang),
            ]
        ]
    )
