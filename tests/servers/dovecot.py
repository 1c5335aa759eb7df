"""A real Dovecot IMAP server on a free port, with its own config, users and Maildirs.

Used by the session-scoped pytest fixture (tests/conftest.py) and by
benchmarks/bench_poll.py, so it imports nothing from pytest: put ``tests/`` on
``sys.path`` and ``from servers.dovecot import DovecotServer``.

It runs as root (``dovecot -F -c CONF``); Dovecot refuses uid 0 for mail, so mail
is stored as ``nobody``. A test can also drop files straight into a Maildir the
way an MDA would (chowned to that user) — much faster than IMAP APPEND for a
backlog of 50,000 mails. Dovecot's XOAUTH2 mechanism checks the
bearer token against the passdb like a password, which lets the same passwd-file
serve the OAuth tests: a user's "password" doubles as their valid token.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from imapclient import IMAPClient

HOST = "127.0.0.1"
DEFAULT_USERS = {
    "support": "support-secret",
    "oauth": "oauth-token-7f3a",  # also a valid XOAUTH2 token (see module doc)
    "bench": "bench-secret",
}


MAIL_USER = pwd.getpwnam("nobody")


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )
    if not found:
        raise RuntimeError(f"{name} not found: apt-get install dovecot-imapd")
    return found


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, so clients can verify it with cafile."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class DovecotServer:
    """One Dovecot instance: ``start()``, ``stop()``, and helpers to put mail in."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        users: Mapping[str, str] | None = None,
        tls: bool = True,
        spare_users: int = 200,
        extra_config: str = "",
    ) -> None:
        # Unix sockets live under base_dir; keep the path short (sun_path is 108 bytes).
        # The auth process runs as user dovecot and must reach the passwd-file, so
        # every parent must be traversable: pytest's tmp dirs (0700) are not.
        self.root = Path(root or tempfile.mkdtemp(prefix="dovecot-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.users = dict(users or DEFAULT_USERS)
        # Dovecot re-reads a changed passwd-file at most once a second, so logins
        # added during a run may not work at once: hand out pre-made ones instead.
        self._spare = [f"box{n:03d}" for n in range(spare_users)]
        self.users.update({name: f"pw-{name}" for name in self._spare})
        self.tls = tls
        # Settings appended to dovecot.conf, e.g. an `imap_capability` without IDLE.
        self.extra_config = extra_config
        self.host = HOST
        self.port = free_port()
        self.ssl_port = free_port() if tls else 0
        self.config = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        self.mail_root = self.root / "mail"
        self.cafile: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._counter = 0
        self._write_config()

    # -- life cycle -------------------------------------------------------

    def _write_config(self) -> None:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, MAIL_USER.pw_uid, MAIL_USER.pw_gid)
        (self.root / "users").write_text(
            "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in self.users.items())
        )
        ssl_lines = "ssl = no\n"
        imaps_port = 0
        if self.tls:
            cert, key = make_self_signed_cert(self.root)
            self.cafile = cert
            ssl_lines = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
            imaps_port = self.ssl_port
        self.config.write_text(
            f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
protocols = imap
listen = {HOST}
{ssl_lines}disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_verbose = yes
auth_failure_delay = 0
mail_location = maildir:{self.mail_root}/%u
mail_max_userip_connections = 1000
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={MAIL_USER.pw_uid} gid={MAIL_USER.pw_gid} home={self.root}/home/%u
}}
# Failed logins in the tests must not slow down every later login from 127.0.0.1.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps_port}
    ssl = yes
  }}
}}
{self.extra_config}
"""
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 20.0) -> DovecotServer:
        if self.running:
            return self
        self._process = subprocess.Popen(
            [_binary("dovecot"), "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited at start: {err}{self.log_text()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log_text()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        # The master is gone; make sure no login or imap child still holds the port.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def new_user(self) -> str:
        """A login nobody has used yet, with an empty INBOX (password in ``users``)."""
        if not self._spare:
            raise RuntimeError("no spare Dovecot users left: raise spare_users")
        return self._spare.pop(0)

    # -- mail -------------------------------------------------------------

    def client(self, user: str = "support") -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def maildir(self, user: str = "support", folder: str = "INBOX") -> Path:
        base = self.mail_root / user
        return base if folder == "INBOX" else base / f".{folder}"

    def append(self, raw: bytes, *, user: str = "support", folder: str = "INBOX", flags: Iterable[str] = ()) -> None:
        """Add one message over IMAP, as another mail client or an MTA would."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=tuple(flags))

    def deliver(self, raw: bytes, *, user: str = "support", folder: str = "INBOX") -> Path:
        """Drop one message into the Maildir's new/ like an MDA (no server needed)."""
        base = self.maildir(user, folder)
        for directory in (base.parent, base, base / "tmp", base / "new", base / "cur"):
            if not directory.exists():
                directory.mkdir()
                os.chown(directory, MAIL_USER.pw_uid, MAIL_USER.pw_gid)
        self._counter += 1
        name = f"{int(time.time())}.M{time.time_ns() % 10**9}P{os.getpid()}Q{self._counter}.test"
        tmp = base / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, MAIL_USER.pw_uid, MAIL_USER.pw_gid)
        target = base / "new" / name
        os.rename(tmp, target)
        return target

    def doveadm(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run doveadm against this instance's config (it reads the Maildirs directly)."""
        return subprocess.run(
            [_binary("doveadm"), "-c", str(self.config), *args],
            check=True,
            capture_output=True,
            text=True,
        )

    def mailbox_config(self, user: str = "support", **overrides: object) -> dict[str, object]:
        """A ``[mailbox]`` table for mailbot pointing at this server."""
        table: dict[str, object] = {
            "kind": "imap",
            "host": self.host,
            "port": self.port,
            "security": "none",
            "username": user,
            "password": self.users[user],
        }
        table.update(overrides)
        return table

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.cleanup()
