"""Finding and reading bank files: size limits, UTF-8, one clear error per file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from problems.bankfile.records import (
    BANK_SUFFIXES,
    MAX_FILE_BYTES,
    BankError,
)

# --------------------------------------------------------------------------- files


def _normalise(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def _collect_files(paths: Sequence[str | Path], errors: list[BankError]) -> list[str]:
    found: set[str] = set()
    for raw in paths:
        try:
            path = _normalise(raw)
            if path.is_dir():
                children = sorted(
                    child
                    for child in path.iterdir()
                    if child.suffix.lower() in BANK_SUFFIXES
                    and not child.name.startswith(".")
                    and child.is_file()
                )
                if not children:
                    errors.append(
                        BankError(str(path), 0, 0, "directory has no .yaml or .yml files")
                    )
                found.update(str(_normalise(child)) for child in children)
            elif path.is_file():
                found.add(str(path))
            elif path.exists():
                errors.append(BankError(str(path), 0, 0, "not a regular file or directory"))
            else:
                errors.append(BankError(str(path), 0, 0, "no such file or directory"))
        except (OSError, ValueError, RuntimeError) as exc:
            errors.append(BankError(str(raw), 0, 0, f"cannot read: {_os_reason(exc)}"))
    return sorted(found)


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _read_bytes(path: str, errors: list[BankError]) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        errors.append(BankError(path, 0, 0, f"cannot read file: {_os_reason(exc)}"))
        return None
    if len(data) > MAX_FILE_BYTES:
        errors.append(
            BankError(path, 0, 0, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        )
        return None
    return data


def _decode(path: str, data: bytes, errors: list[BankError]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        line = data.count(b"\n", 0, start) + 1
        errors.append(
            BankError(path, line, column, f"file is not valid UTF-8 (byte 0x{data[start]:02x})")
        )
        return None
