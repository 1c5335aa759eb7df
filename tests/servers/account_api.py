"""The reference account API as a real HTTP server: uvicorn on a free port, in its own thread.

Imports nothing from pytest, so benchmarks can use it too: put ``tests/`` on
``sys.path`` and ``from servers.account_api import AccountApiServer``. The
server's ``/_test/…`` controls seed records, queue faults and read counts.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from mailbot.accounts.reference_api import AccountStore, create_app

HOST = "127.0.0.1"
TOKEN = "ref-api-token-5d1f0c9a"  # what the tests' configs send as [accounts] token


class AccountApiServer:
    """One reference API with its SQLite file in ``directory``; ``.url`` once started."""

    def __init__(self, directory: Path, *, token: str = TOKEN) -> None:
        self.token = token
        self.store = AccountStore(directory / "reference-api.db")
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they
        # are TCP, and without it every answer waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((HOST, 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        app = create_app(store=self.store, token=token, test_controls=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def start(self, *, wait_seconds: float = 10.0) -> AccountApiServer:
        self._thread.start()
        deadline = time.monotonic() + wait_seconds
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the reference account API did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, self.url + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def seed(self, *accounts: dict[str, Any]) -> None:
        """Replace every record (and forget faults, counts and keys)."""
        rows = [{**a, "paid_until": _iso(a.get("paid_until"))} for a in accounts]
        self._control("PUT", "/_test/accounts", json={"accounts": rows})

    def fault(self, kind: str, **options: Any) -> None:
        """Queue a fault (see ``reference_api.Fault``)."""
        self._control("POST", "/_test/faults", json={"kind": kind, **options})

    def stats(self) -> dict[str, Any]:
        return self._control("GET", "/_test/stats")

    def requests(self) -> int:
        """API requests served so far (look-ups and changes, faults included)."""
        return sum(self.stats()["requests"].values())

    def targets(self) -> dict[str, int]:
        """Requests per method, path and query: how often each address was asked for."""
        return self.stats()["targets"]

    def applied(self) -> list[dict[str, Any]]:
        return self.stats()["applied"]

    def record(self, account_id: int) -> dict[str, Any] | None:
        found = self.store.by_id(account_id)
        if found is None:
            return None
        return {**found.__dict__, "paid_until": _iso(found.paid_until)}


def _iso(value: object) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return value  # type: ignore[return-value]


def api_account(
    account_id: int,
    email: str,
    *,
    plan: str = "pro",
    status: str = "active",
    paid_until: date | None = date(2027, 1, 31),
    primary: int | None = None,
) -> dict[str, Any]:
    """One record for ``seed``."""
    return {
        "account_id": account_id,
        "email": email,
        "plan": plan,
        "status": status,
        "paid_until": paid_until,
        "primary_account_id": primary,
    }
