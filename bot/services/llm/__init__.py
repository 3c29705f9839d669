"""The language model behind Dars: one budgeted, recorded call at a time (``client``), what it
is told (``prompts``), and what it may cost (``budget``). Used only where rules cannot do the
job: hints a bank problem lacks, and grading written answers."""

from bot.services.llm.budget import STALE_RESERVATION, release_stale_reservations
from bot.services.llm.client import LanguageModel, ModelVerdict

__all__ = ["STALE_RESERVATION", "LanguageModel", "ModelVerdict", "release_stale_reservations"]
