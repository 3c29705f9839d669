"""The end-to-end fixtures of tests/bot (the real Application polling the emulator)."""

from tests.bot.conftest import bot, e2e_deps, emu

__all__ = ["bot", "e2e_deps", "emu"]
