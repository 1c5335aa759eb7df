"""A local Maildir as a mail source, with UIDs the way IMAP hands them out.

It keeps a ``mailbot-uidlist`` beside the messages, like Dovecot's
``dovecot-uidlist``, with a UIDVALIDITY and one UID per file; keywords are stored
the Dovecot way, so a Dovecot serving the same Maildir shows them.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailbot.errors import MailboxUnavailable
from mailbot.mail.source import FetchedMessage, FolderState, MailSource

UIDLIST = "mailbot-uidlist"


KEYWORDS = "dovecot-keywords"  # Dovecot's name: keyword index -> name, letters a..z


SUBDIRS = ("tmp", "new", "cur")


def _key_of(filename: str) -> str:
    """The unique part of a Maildir file name (flags follow ``:2,``)."""
    return filename.split(":", 1)[0]


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _flags_of(filename: str) -> str:
    return filename.split(":2,", 1)[1] if ":2," in filename else ""


@dataclass
class _UidList:
    uidvalidity: int
    next_uid: int
    uid_of: dict[str, int]


class MaildirSource(MailSource):
    """A local Maildir++ tree: INBOX is ``path``, folder ``X`` is ``path/.X``.

    The embedded default and what ``mailbot demo`` reads. An MDA (or a test)
    delivers into ``new/``; the source never renames a message except to add
    our keyword or to move it, and keeps the standard flags (``S`` stays unset).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"maildir:{self.path.resolve()}"
        self._files: dict[str, dict[int, Path]] = {}  # folder -> uid -> current file

    def _folder_dir(self, folder: str) -> Path:
        return self.path if folder.upper() == "INBOX" else self.path / f".{folder}"

    def _require(self, directory: Path) -> None:
        if not all((directory / sub).is_dir() for sub in SUBDIRS):
            raise MailboxUnavailable(f"Maildir {directory} does not exist or lacks tmp/new/cur")

    def open(self) -> None:
        self._require(self.path)

    def close(self) -> None:
        self._files.clear()

    def folder_state(self, folder: str) -> FolderState:
        directory = self._folder_dir(folder)
        self._require(directory)
        try:
            uids = self._sync_uidlist(directory)
        except OSError as exc:  # an unreadable new/ or cur/, a read-only folder
            raise MailboxUnavailable(f"Maildir {directory}: {exc.strerror or exc}: {exc.filename}") from None
        self._files[folder] = uids
        state = self._read_uidlist(directory / UIDLIST)
        return FolderState(uidvalidity=state.uidvalidity, uidnext=state.next_uid, exists=len(uids))

    def uids_after(self, folder: str, last_uid: int, *, state: FolderState) -> list[int]:
        return sorted(uid for uid in self._files_in(folder) if uid > last_uid)

    def fetch(self, folder: str, uids: Sequence[int], *, max_bytes: int = 0) -> Iterator[FetchedMessage]:
        files = self._files_in(folder)
        for uid in sorted(uids):
            path = files.get(uid)
            if path is None:
                continue
            try:
                size = path.stat().st_size
                with path.open("rb") as handle:
                    raw = handle.read(max_bytes) if max_bytes and size > max_bytes else handle.read()
            except FileNotFoundError:
                continue  # removed by someone else since the scan
            yield FetchedMessage(uid=uid, raw=raw, size=size, truncated=len(raw) < size)

    def add_flag(self, folder: str, uids: Sequence[int], flag: str) -> None:
        directory = self._folder_dir(folder)
        letter = self._keyword_letter(directory, flag)
        files = self._files_in(folder)
        for uid in uids:
            path = files.get(uid)
            if path is None or not path.exists():
                continue
            flags = _flags_of(path.name)
            if letter in flags:
                continue
            target = directory / "cur" / f"{_key_of(path.name)}:2,{''.join(sorted(flags + letter))}"
            os.rename(path, target)
            files[uid] = target

    def move(self, folder: str, uids: Sequence[int], target: str) -> None:
        destination = self._folder_dir(target)
        for sub in SUBDIRS:
            (destination / sub).mkdir(parents=True, exist_ok=True)
        (destination / "maildirfolder").touch()  # how Maildir++ marks a subfolder
        files = self._files_in(folder)
        for uid in uids:
            path = files.pop(uid, None)
            if path is None or not path.exists():
                continue
            # A rename within one file system is atomic: the mail is never in neither place.
            os.rename(path, destination / "cur" / f"{_key_of(path.name)}:2,{_flags_of(path.name)}")

    def _files_in(self, folder: str) -> dict[int, Path]:
        if folder not in self._files:
            self.folder_state(folder)
        return self._files[folder]

    # The uidlist: "V<uidvalidity> N<next uid>" then one "<uid> <key>" line per file.
    def _read_uidlist(self, path: Path) -> _UidList:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return _UidList(uidvalidity=int(time.time()), next_uid=1, uid_of={})
        header = dict((part[0], int(part[1:])) for part in lines[0].split())
        uid_of = {}
        for line in lines[1:]:
            uid, key = line.split(" ", 1)
            uid_of[key] = int(uid)
        return _UidList(uidvalidity=header["V"], next_uid=header["N"], uid_of=uid_of)

    def _sync_uidlist(self, directory: Path) -> dict[int, Path]:
        """Give every file a UID (new ones in delivery order) and return uid -> file."""
        path = directory / UIDLIST
        with open(directory / f".{UIDLIST}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two pollers must not hand out one UID twice
            state = self._read_uidlist(path)
            on_disk: dict[str, Path] = {}
            for sub in ("new", "cur"):
                for entry in os.scandir(directory / sub):
                    if entry.is_file() and not entry.name.startswith("."):
                        on_disk[_key_of(entry.name)] = Path(entry.path)
            changed = not path.exists() or set(state.uid_of) != set(on_disk)
            # New files get UIDs in delivery order: by modification time (a delivery's
            # rename keeps it), then name. Names alone mislead: Python's mailbox
            # writes the microseconds without leading zeros.
            new_keys = set(on_disk) - set(state.uid_of)
            for key in sorted(new_keys, key=lambda k: (_mtime_ns(on_disk[k]), k)):
                state.uid_of[key] = state.next_uid
                state.next_uid += 1
            if changed:
                kept = {key: uid for key, uid in state.uid_of.items() if key in on_disk}
                body = "".join(f"{uid} {key}\n" for key, uid in sorted(kept.items(), key=lambda kv: kv[1]))
                tmp = directory / f".{UIDLIST}.tmp"
                tmp.write_text(f"V{state.uidvalidity} N{state.next_uid}\n{body}", encoding="utf-8")
                os.replace(tmp, path)
            return {state.uid_of[key]: file for key, file in on_disk.items()}

    def _keyword_letter(self, directory: Path, flag: str) -> str:
        """The Maildir flag letter for keyword ``flag`` (Dovecot: index 0 is ``a``)."""
        path = directory / KEYWORDS
        with open(directory / f".{KEYWORDS}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            names: dict[int, str] = {}
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    number, _, name = line.partition(" ")
                    names[int(number)] = name
            for index, name in names.items():
                if name == flag:
                    return chr(ord("a") + index)
            index = next(i for i in range(26) if i not in names)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"{index} {flag}\n")
            return chr(ord("a") + index)
