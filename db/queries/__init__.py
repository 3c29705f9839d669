"""Small query functions by domain. They take an AsyncSession, never commit, and keep the
differences between PostgreSQL and SQLite here (``dialect.py``), out of the services.

Services use them as ``queries.<domain>.<function>(session, ...)``.
"""

from db.queries import (
    classes,
    deliveries,
    dialect,
    families,
    hints,
    mastery,
    practice,
    problems,
    spend,
    stats,
    students,
)

__all__ = [
    "classes",
    "deliveries",
    "dialect",
    "families",
    "hints",
    "mastery",
    "practice",
    "problems",
    "spend",
    "stats",
    "students",
]
