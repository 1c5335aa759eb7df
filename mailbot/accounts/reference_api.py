"""The reference account API: SPEC's table as a small FastAPI app with its own SQLite store.

mailbot's tests run it as a real HTTP server, and a vendor who writes their own
API can read it (with ``docs/account-api.md``) to see what mailbot expects:

* every request needs ``Authorization: Bearer <token>``; a wrong or missing one is ``401``;
* look-ups answer ``200 {"account": …}`` / ``{"accounts": […]}`` or ``404``;
* a ``POST`` needs an ``Idempotency-Key``; the first request with a key is applied
  and its answer stored in the same transaction, and every later request with that
  key gets the stored answer (status and body) without being applied again — so a
  client that lost an answer can ask again safely. A key reused for a different
  request is refused (``422``).

With ``test_controls=True`` (never in production) the app also serves ``/_test/…``:
seed records, read request counts and the list of applied changes, and queue
faults (a status such as ``503``/``429``/``409``, a slow answer, a dropped
connection — before the request reaches the API or after it was applied).

Run it: ``python -m mailbot.accounts.reference_api --db accounts.db --seed accounts.csv``
with the token in ``MAILBOT_REFERENCE_API_TOKEN``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mailbot.accounts.book import AccountRecord

TOKEN_ENV = "MAILBOT_REFERENCE_API_TOKEN"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    account_id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    status TEXT NOT NULL,
    paid_until TEXT,
    primary_account_id INTEGER
);
CREATE INDEX IF NOT EXISTS account_primary ON account (primary_account_id);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applied (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    account_id INTEGER NOT NULL
);
"""

_FIELDS = "account_id, email, plan, status, paid_until, primary_account_id"


def record_json(record: AccountRecord) -> dict[str, Any]:
    """A record as the API answers it: the CSV's fields, dates as ISO text."""
    return record.as_csv_dict()


def _record(row: tuple[Any, ...]) -> AccountRecord:
    return AccountRecord(row[0], row[1], row[2], row[3], date.fromisoformat(row[4]) if row[4] else None, row[5])


class Refusal(Exception):
    """The vendor will not make the change; ``status`` is 409 (conflict) or 422 (invalid)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class AccountStore:
    """The vendor's records in SQLite; one lock, because one change reads then writes."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def replace_all(self, records: Iterable[AccountRecord]) -> None:
        """Seed: the store holds exactly ``records`` afterwards (applied keys are forgotten too)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM account")
            self._db.execute("DELETE FROM idempotency")
            self._db.execute("DELETE FROM applied")
            self._db.executemany(
                f"INSERT INTO account ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?)",
                [(*record_json(r).values(),) for r in records],
            )
            self._db.execute("COMMIT")

    def _select(self, where: str, *params: object) -> list[AccountRecord]:
        rows = self._db.execute(f"SELECT {_FIELDS} FROM account WHERE {where}", params).fetchall()
        return [_record(row) for row in rows]

    def by_email(self, email: str) -> AccountRecord | None:
        with self._lock:
            return next(iter(self._select("email = ?", email.strip().lower())), None)

    def by_id(self, account_id: int) -> AccountRecord | None:
        with self._lock:
            return next(iter(self._select("account_id = ?", account_id)), None)

    def members(self, primary_id: int) -> list[AccountRecord]:
        with self._lock:
            return self._select("primary_account_id = ? ORDER BY account_id", primary_id)

    def applied(self) -> list[dict[str, Any]]:
        """Every change made, in order: what the tests count to prove "applied once"."""
        with self._lock:
            rows = self._db.execute("SELECT key, action, account_id FROM applied ORDER BY id").fetchall()
        return [{"key": key, "action": action, "account_id": account_id} for key, action, account_id in rows]

    def perform(self, *, key: str, action: str, account_id: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Apply ``action`` once per key; the answer (change or refusal) is stored with it."""
        fingerprint = hashlib.sha256(
            json.dumps([action, account_id, body], sort_keys=True, default=str).encode()
        ).hexdigest()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                stored = self._db.execute(
                    "SELECT fingerprint, status, answer FROM idempotency WHERE key = ?", (key,)
                ).fetchone()
                if stored is not None:
                    self._db.execute("ROLLBACK")
                    if stored[0] != fingerprint:
                        return 422, {"error": "this Idempotency-Key was already used for a different request"}
                    return stored[1], json.loads(stored[2])
                answer: dict[str, Any]
                try:
                    status, answer = 200, {"account": record_json(self._change(action, account_id, body))}
                    self._db.execute(
                        "INSERT INTO applied (key, action, account_id) VALUES (?, ?, ?)", (key, action, account_id)
                    )
                except Refusal as refusal:
                    status, answer = refusal.status, {"error": refusal.error}
                self._db.execute(
                    "INSERT INTO idempotency (key, fingerprint, status, answer) VALUES (?, ?, ?, ?)",
                    (key, fingerprint, status, json.dumps(answer)),
                )
                self._db.execute("COMMIT")
                return status, answer
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _change(self, action: str, account_id: int, body: dict[str, Any]) -> AccountRecord:
        """The vendor's own checks, then the change (inside ``perform``'s transaction)."""
        member = next(iter(self._select("account_id = ?", account_id)), None)
        if member is None:
            raise Refusal(422, f"there is no account #{account_id}")
        paid_until = _paid_until(body)
        if action == "link":
            primary_id, plan = body.get("primary_account_id"), body.get("plan")
            if not isinstance(primary_id, int) or isinstance(primary_id, bool):
                raise Refusal(422, "primary_account_id must be an account id")
            if not isinstance(plan, str) or not plan:
                raise Refusal(422, "plan must be a plan name")
            primary = next(iter(self._select("account_id = ?", primary_id)), None)
            if primary is None:
                raise Refusal(422, f"there is no primary account #{primary_id}")
            if primary_id == account_id:
                raise Refusal(422, "an account cannot be linked to itself")
            if member.primary_account_id not in (None, primary_id):
                raise Refusal(409, f"account #{account_id} is already linked to account #{member.primary_account_id}")
            self._db.execute(
                "UPDATE account SET primary_account_id = ?, plan = ?, status = 'active', paid_until = ? "
                "WHERE account_id = ?",
                (primary_id, plan, paid_until, account_id),
            )
        elif action == "reactivate":
            if member.primary_account_id is None:
                raise Refusal(409, f"account #{account_id} is not linked to a primary account")
            self._db.execute(
                "UPDATE account SET status = 'active', paid_until = ? WHERE account_id = ?", (paid_until, account_id)
            )
        else:  # the routes only pass the two actions
            raise Refusal(422, f"unknown action {action}")
        return self._select("account_id = ?", account_id)[0]


def _paid_until(body: dict[str, Any]) -> str | None:
    value = body.get("paid_until")
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise Refusal(422, "paid_until must be an ISO date or null") from None


# -- faults, for tests --------------------------------------------------------------


@dataclass
class Fault:
    """One way to misbehave, for the next ``times`` requests that match ``method`` and ``path``.

    ``kind``: ``status`` (answer ``status`` with ``{"error": error}`` and maybe
    ``Retry-After``), ``slow`` (wait ``seconds``) or ``drop`` (close the connection
    unanswered). ``after_apply``: misbehave only once the API has done its work, as
    when an answer is lost on the way back.
    """

    kind: str
    times: int = 1
    method: str = ""  # empty: any
    path: str = ""  # a prefix; empty: any
    status: int = 503
    error: str = "temporarily unavailable"
    retry_after: str | None = None
    seconds: float = 0.0
    after_apply: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and (not self.method or self.method == method) and path.startswith(self.path)


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)  # per method and path
    targets: Counter[str] = field(default_factory=Counter)  # per method, path and query
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, method: str, path: str, query: str = "") -> Fault | None:
        """Count the request; the first matching fault is used up by one."""
        with self._lock:
            self.requests[f"{method} {path}"] += 1
            self.targets[f"{method} {path}" + (f"?{query}" if query else "")] += 1
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _drop_connection(receive: Receive) -> None:
    """Abort the TCP connection without an answer.

    ASGI has no "drop" message; uvicorn's ``receive`` is a method of the request
    cycle that owns the transport, so a test server can reach it there.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("dropping a connection needs the reference API to run under uvicorn")
    transport.abort()


class FaultInjector:
    """Outermost ASGI layer: misbehaves as the queued faults say, otherwise passes through."""

    def __init__(self, app: Any, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_test/"):
            await self.app(scope, receive, send)
            return
        fault = self.plan.take(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"))
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.after_apply:
            await self.app(scope, receive, self._late(fault, receive, send))
        elif fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            await self.app(scope, receive, send)
        elif fault.kind == "drop":
            _drop_connection(receive)
        else:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            await JSONResponse({"error": fault.error}, status_code=fault.status, headers=headers)(scope, receive, send)

    @staticmethod
    def _late(fault: Fault, receive: Receive, send: Send) -> Send:
        dropped = False

        async def late_send(message: MutableMapping[str, Any]) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start":
                if fault.kind == "slow":
                    await asyncio.sleep(fault.seconds)
                elif fault.kind == "drop":
                    _drop_connection(receive)
                    dropped = True
            if not dropped:
                await send(message)

        return late_send


# -- the app ------------------------------------------------------------------------


def _error(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


def create_app(*, store: AccountStore, token: str, test_controls: bool = False) -> Any:
    """The ASGI app: the API, behind the fault injector when ``test_controls`` is on."""
    if not token:
        raise ValueError("the reference API needs a token")
    api = FastAPI(title="Account API (mailbot reference)", docs_url=None, redoc_url=None, openapi_url=None)
    expected = f"Bearer {token}".encode()

    @api.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if request.url.path.startswith("/accounts"):
            given = request.headers.get("authorization", "").encode()
            if not secrets.compare_digest(given, expected):
                return _error(401, "missing or wrong bearer token")
        return await call_next(request)

    @api.get("/accounts")
    def find_accounts(email: str | None = None, primary_account_id: int | None = None) -> Any:
        if (email is None) == (primary_account_id is None):
            return _error(400, "give exactly one of email and primary_account_id")
        if primary_account_id is not None:
            return {"accounts": [record_json(r) for r in store.members(primary_account_id)]}
        found = store.by_email(email or "")
        return {"account": record_json(found)} if found else _error(404, "no account has this address")

    @api.get("/accounts/{account_id}")
    def get_account(account_id: int) -> Any:
        found = store.by_id(account_id)
        return {"account": record_json(found)} if found else _error(404, "no account has this id")

    async def change(action: str, account_id: int, request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            return _error(400, "an Idempotency-Key header is required")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be a JSON object")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        status, answer = store.perform(key=key, action=action, account_id=account_id, body=body)
        return JSONResponse(answer, status_code=status)

    @api.post("/accounts/{account_id}/link")
    async def link(account_id: int, request: Request) -> JSONResponse:
        return await change("link", account_id, request)

    @api.post("/accounts/{account_id}/reactivate")
    async def reactivate(account_id: int, request: Request) -> JSONResponse:
        return await change("reactivate", account_id, request)

    if not test_controls:
        return api
    plan = FaultPlan()
    _add_test_controls(api, store=store, plan=plan)
    return FaultInjector(api, plan)


def _add_test_controls(api: FastAPI, *, store: AccountStore, plan: FaultPlan) -> None:
    @api.put("/_test/accounts")
    async def seed(request: Request) -> Any:
        rows = (await request.json())["accounts"]
        store.replace_all(
            AccountRecord(
                int(r["account_id"]),
                r["email"].lower(),
                r["plan"],
                r["status"],
                date.fromisoformat(r["paid_until"]) if r.get("paid_until") else None,
                r.get("primary_account_id"),
            )
            for r in rows
        )
        plan.faults.clear()
        plan.requests.clear()
        plan.targets.clear()
        return {"accounts": len(rows)}

    @api.post("/_test/faults")
    async def add_fault(request: Request) -> Any:
        plan.faults.append(Fault(**(await request.json())))
        return {"faults": len(plan.faults)}

    @api.get("/_test/stats")
    def stats() -> Any:
        return {"requests": dict(plan.requests), "targets": dict(plan.targets), "applied": store.applied()}


def main(argv: list[str] | None = None) -> None:
    """Serve the reference API with uvicorn (for vendors trying mailbot against it)."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m mailbot.accounts.reference_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8030)
    parser.add_argument("--db", default="reference-accounts.db", help="SQLite file of the records")
    parser.add_argument("--seed", type=Path, help="replace the records with this CSV (mailbot's import format)")
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        parser.error(f"set the bearer token in the environment variable {TOKEN_ENV}")
    store = AccountStore(args.db)
    if args.seed:
        from mailbot.accounts.csv_import import parse_account_rows

        store.replace_all(parse_account_rows(args.seed.read_text(encoding="utf-8-sig")))
    uvicorn.run(create_app(store=store, token=token), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
