"""Mail from local files for ``mailbot triage``: .eml files, folders of them, mbox files."""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MailFile:
    label: str  # what the JSON line calls it: the file's name, or name#N inside an mbox
    raw: bytes = b""
    error: str | None = None


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _from_file(path: Path) -> Iterator[MailFile]:
    try:
        if _is_mbox(path):
            box = mailbox.mbox(path, create=False)
            for index, key in enumerate(box.keys(), start=1):
                yield MailFile(f"{path.name}#{index}", box.get_bytes(key))
            return
        yield MailFile(path.name, path.read_bytes())
    except OSError as exc:
        yield MailFile(path.name, error=f"cannot read {path}: {exc.strerror or exc}")


def iter_mail_files(paths: Iterable[Path]) -> Iterator[MailFile]:
    """Every message under ``paths``, in a stable order; unreadable paths become errors."""
    for path in paths:
        if path.is_dir():
            # A dangling symlink is listed (as an error line), never silently skipped.
            listed = (p for p in path.rglob("*") if p.is_file() or (p.is_symlink() and not p.exists()))
            for child in sorted(p for p in listed if not p.name.startswith(".")):
                yield from _from_file(child)
        elif path.is_file():
            yield from _from_file(path)
        else:
            yield MailFile(path.name or str(path), error=f"no such file or folder: {path}")
