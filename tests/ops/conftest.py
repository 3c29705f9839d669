"""The end-to-end fixtures of tests/bot (the real Application polling the emulator)."""

from tests.bot.conftest import e2e_deps, emu, flood_guarded_bot

__all__ = ["e2e_deps", "emu", "flood_guarded_bot"]
