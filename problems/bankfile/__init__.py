"""Parsing and checking one bank file; :mod:`problems.bank` combines the files."""
