"""The file outbox: one ``.eml`` per sent reply, for the demo and for setups without SMTP."""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

from mailbot.mail.reply import reply_bytes

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def outbox_file_name(message_id: str) -> str:
    """A file name from a Message-ID: stable, so a rerun overwrites instead of adding."""
    name = _UNSAFE.sub("_", message_id.strip().strip("<>")).lstrip(".")
    return (name or "message")[:200] + ".eml"


def write_file_outbox(message: EmailMessage, *, path: str | Path) -> Path:
    """Write ``message`` as one ``.eml`` file in ``path`` and return the file.

    Written to a temporary file in the same folder, flushed to disk and renamed,
    so a reader (or a crash) never sees half a message.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    message_id = str(message.get("Message-ID") or "")
    if not message_id:
        raise ValueError("reply has no Message-ID")
    target = folder / outbox_file_name(message_id)
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(reply_bytes(message))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    return target


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
