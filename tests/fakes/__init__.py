"""Fakes of the servers Dars talks to, run on loopback so the real clients are exercised."""
