"""Mail from local files for ``mailbot triage``: .eml files, folders of them, mbox files.

One file is one mail unless it is really an mbox: a ``.eml`` may start with an
mbox-style ``From sender date`` envelope line (mutt, procmail and many exports
write one), and a body line starting with "From " must not split it. A file
counts as an mbox by its extension, or when it starts with an envelope line and
holds another one further down; messages are split only at an envelope line
after a blank line and followed by a header line, so an unescaped "From here
on …" in a body stays where it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

_SINGLE_MAIL_SUFFIXES = frozenset({".eml", ".msg", ".txt"})
_MBOX_SUFFIXES = frozenset({".mbox", ".mbx", ".mbs"})
# "From sender date" at the start of a message: then a header field ("Return-Path: …"),
# or a ctime date ("Mon Jun  1 10:00:00 2026") so that a message broken right at its
# first byte still starts where it should.
_ENVELOPE = re.compile(
    rb"(?:\A|(?<=\n\n)|(?<=\n\r\n))From (?:[^\r\n]*\r?\n(?=[!-9;-~]+:)"
    rb"|\S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}(?::\d{2})? (?:\S+ )?\d{4}[^\r\n]*\r?\n)"
)


@dataclass(frozen=True)
class MailFile:
    label: str  # what the JSON line calls it: the path under the folder given, or name#N inside an mbox
    raw: bytes = b""
    error: str | None = None


def _message_starts(data: bytes) -> list[int]:
    starts = [m.start() for m in _ENVELOPE.finditer(data)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox, without their envelope lines (``>From`` quoting is kept as written)."""
    bounds = [*_message_starts(data), len(data)]
    messages = []
    for begin, end in pairwise(bounds):
        chunk = data[begin:end]
        if chunk.startswith(b"From "):
            chunk = chunk.split(b"\n", 1)[1] if b"\n" in chunk else b""
        messages.append(chunk)
    return messages


def _is_mbox(path: Path, data: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix in _MBOX_SUFFIXES:
        return True
    if suffix in _SINGLE_MAIL_SUFFIXES or not data.startswith(b"From "):
        return False
    return sum(1 for _ in _ENVELOPE.finditer(data)) > 1


def _from_file(path: Path, label: str) -> Iterator[MailFile]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield MailFile(label, error=f"cannot read {path}: {exc.strerror or exc}")
        return
    if not _is_mbox(path, data):
        yield MailFile(label, data)
        return
    for index, raw in enumerate(split_mbox(data), start=1):
        yield MailFile(f"{label}#{index}", raw)


def _walk(paths: Iterable[Path]) -> Iterator[tuple[Path, str] | MailFile]:
    """Each file under ``paths`` with its label, in a stable order; what cannot be listed is an error."""
    for path in paths:
        if path.is_dir():
            yield from _folder(path)
        elif path.is_file():
            yield path, path.name
        else:
            yield MailFile(path.name or str(path), error=f"no such file or folder: {path}")


def _folder(folder: Path) -> list[tuple[Path, str] | MailFile]:
    """The folder's files in name order. An unreadable sub-folder is an error line, never
    skipped in silence (``Path.rglob`` would); so is a dangling symlink."""
    # (sort key, path, label or None, error or None). The key is the path's parts, which
    # is how paths sort; labels are joined per sub-folder, not made per file with
    # relative_to: a dry run over a big folder builds thousands of them.
    found: list[tuple[tuple[str, ...], Path, str | None, str | None]] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        found.append((where.parts, where, None, f"cannot read folder {where}: {exc.strerror or exc}"))

    for root, _dirs, files in os.walk(folder, onerror=unreadable):
        base = Path(root)
        parts = base.parts
        prefix = base.relative_to(folder).as_posix() + "/" if base != folder else ""
        for name in files:
            if not name.startswith("."):
                found.append(((*parts, name), base / name, prefix + name, None))
    listing: list[tuple[Path, str] | MailFile] = []
    for _key, path, label, error in sorted(found, key=lambda item: item[0]):
        if label is None:
            label = path.relative_to(folder).as_posix() if path != folder else path.name
        listing.append(MailFile(label, error=error) if error is not None else (path, label))
    return listing


def iter_mail_files(paths: Iterable[Path]) -> Iterator[MailFile]:
    """Every message under ``paths``, in a stable order; unreadable paths become errors.

    Files in a folder are named by their path under it ("2026-05/x.eml"), so two
    ``x.eml`` in different sub-folders can be told apart.
    """
    for item in _walk(paths):
        if isinstance(item, MailFile):
            yield item
        else:
            yield from _from_file(*item)


def count_mail_files(paths: Iterable[Path]) -> int:
    """How many items ``iter_mail_files`` yields, parsing no mail: a progress bar's total.

    It reads each file once more, which is little beside triaging what is in it.
    """
    return sum(1 if isinstance(item, MailFile) else _messages_in(item[0]) for item in _walk(paths))


def _messages_in(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 1  # iter_mail_files yields it as one error
    return len(_message_starts(data)) if _is_mbox(path, data) else 1
