"""Account records: the all-or-nothing CSV import and `accounts show`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from factories import run_cli, write_config
from sqlmodel import Session, select

from mailbot.accounts.book import CSV_FIELDS, AccountRecord
from mailbot.accounts.csv_import import import_accounts
from mailbot.db.engine import make_engine
from mailbot.errors import ImportRowError
from mailbot.models import Account

HEADER = ",".join(CSV_FIELDS)
SEED = f"""{HEADER}
77,Boss@Y.org,pro,active,2027-01-31,
1042,VA@X.net,pro,expired,2026-01-31,77
500,solo@z.com,basic,trial,,
"""
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def csv_file(directory: Path, text: str, name: str = "accounts.csv") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(engine) -> list[dict]:
    with Session(engine) as session:
        rows = session.exec(select(Account).order_by(Account.account_id)).all()
        return [AccountRecord(*(getattr(a, f) for f in CSV_FIELDS)).as_csv_dict() for a in rows]


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(engine, tmp_path):
    import_accounts(engine=engine, path=csv_file(tmp_path, SEED, "seed.csv"))
    return engine


# --- import_accounts -------------------------------------------------------------


def test_import_inserts_every_row_with_lower_case_emails(engine, tmp_path):
    summary = import_accounts(engine=engine, path=csv_file(tmp_path, SEED))
    assert (summary.inserted, summary.updated) == (3, 0)
    assert snapshot(engine) == [
        {
            "account_id": 77,
            "email": "boss@y.org",
            "plan": "pro",
            "status": "active",
            "paid_until": "2027-01-31",
            "primary_account_id": None,
        },
        {
            "account_id": 500,
            "email": "solo@z.com",
            "plan": "basic",
            "status": "trial",
            "paid_until": None,
            "primary_account_id": None,
        },
        {
            "account_id": 1042,
            "email": "va@x.net",
            "plan": "pro",
            "status": "expired",
            "paid_until": "2026-01-31",
            "primary_account_id": 77,
        },
    ]


def test_import_stores_dates_and_ids_as_their_types(seeded):
    with Session(seeded) as session:
        va = session.get(Account, 1042)
        assert va is not None
        assert va.paid_until == date(2026, 1, 31)
        assert va.primary_account_id == 77


def test_reimport_updates_existing_rows_and_inserts_new_ones(seeded, tmp_path):
    update = f"""{HEADER}
1042,va@x.net,pro,active,2027-01-31,77
9,new@q.de,solo,trial,,
"""
    summary = import_accounts(engine=seeded, path=csv_file(tmp_path, update))
    assert (summary.inserted, summary.updated) == (1, 1)
    rows = {r["account_id"]: r for r in snapshot(seeded)}
    assert set(rows) == {9, 77, 500, 1042}  # rows not in the file stay
    assert rows[1042]["status"] == "active"
    assert rows[1042]["paid_until"] == "2027-01-31"
    assert rows[9]["email"] == "new@q.de"


def test_reimport_of_the_same_file_changes_nothing(seeded, tmp_path):
    before = snapshot(seeded)
    summary = import_accounts(engine=seeded, path=csv_file(tmp_path, SEED))
    assert (summary.inserted, summary.updated) == (0, 3)
    assert snapshot(seeded) == before


def test_reimport_can_clear_paid_until_and_unlink(seeded, tmp_path):
    import_accounts(engine=seeded, path=csv_file(tmp_path, f"{HEADER}\n1042,va@x.net,trial,cancelled,,\n"))
    va = next(r for r in snapshot(seeded) if r["account_id"] == 1042)
    assert (va["paid_until"], va["primary_account_id"], va["status"]) == (None, None, "cancelled")


def test_reimport_with_two_addresses_swapped_succeeds(seeded, tmp_path):
    swapped = f"{HEADER}\n77,va@x.net,pro,active,2027-01-31,\n1042,boss@y.org,pro,active,,77\n"
    import_accounts(engine=seeded, path=csv_file(tmp_path, swapped))
    emails = {r["account_id"]: r["email"] for r in snapshot(seeded)}
    assert emails == {77: "va@x.net", 500: "solo@z.com", 1042: "boss@y.org"}


def test_address_under_a_new_id_moves_to_that_id(seeded, tmp_path):
    import_accounts(engine=seeded, path=csv_file(tmp_path, f"{HEADER}\n600,solo@z.com,pro,active,,\n"))
    emails = {r["account_id"]: r["email"] for r in snapshot(seeded)}
    assert emails == {77: "boss@y.org", 600: "solo@z.com", 1042: "va@x.net"}


def test_blank_lines_and_a_byte_order_mark_are_accepted(engine, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + SEED.replace("\n500", "\n\n500")).encode("utf-8"))
    assert import_accounts(engine=engine, path=path).inserted == 3


# A file that updates row 1042 and adds row 9 before the bad line 4: nothing may stick.
GOOD_PREFIX = f"{HEADER}\n1042,va@x.net,pro,active,2027-01-31,77\n9,new@q.de,pro,trial,,\n"

BAD_ROWS = {
    "bad_status": ("10,x@q.de,pro,paused,,", "status"),
    "bad_date": ("10,x@q.de,pro,active,31.01.2027,", "paid_until"),
    "impossible_date": ("10,x@q.de,pro,active,2027-02-30,", "paid_until"),
    "non_numeric_id": ("ten,x@q.de,pro,active,,", "account_id"),
    "non_numeric_primary": ("10,x@q.de,pro,active,,boss", "primary_account_id"),
    "too_few_columns": ("10,x@q.de,pro,active", "fields"),
    "too_many_columns": ("10,x@q.de,pro,active,,,extra", "fields"),
    "duplicate_id": ("9,other@q.de,pro,active,,", "account_id 9"),
    "duplicate_email": ("10,NEW@q.de,pro,active,,", "new@q.de"),
    "not_an_address": ("10,nobody,pro,active,,", "email"),
    "empty_plan": ("10,x@q.de,,active,,", "plan"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_bad_row_names_its_line_and_changes_nothing(kind, seeded, tmp_path):
    bad_line, word = BAD_ROWS[kind]
    before = snapshot(seeded)
    path = csv_file(tmp_path, GOOD_PREFIX + bad_line + "\n11,late@q.de,pro,active,,\n")
    with pytest.raises(ImportRowError) as info:
        import_accounts(engine=seeded, path=path)
    message = str(info.value)
    assert message.startswith("line 4:"), message
    assert word in message
    assert snapshot(seeded) == before


def test_wrong_header_is_line_1_and_changes_nothing(seeded, tmp_path):
    before = snapshot(seeded)
    path = csv_file(tmp_path, "id,email,plan,status,paid_until,primary\n9,new@q.de,pro,trial,,\n")
    with pytest.raises(ImportRowError, match=r"^line 1:"):
        import_accounts(engine=seeded, path=path)
    assert snapshot(seeded) == before


def test_missing_csv_file_is_an_import_error(engine, tmp_path):
    with pytest.raises(ImportRowError, match="cannot be read"):
        import_accounts(engine=engine, path=tmp_path / "missing.csv")


# --- through the command line ------------------------------------------------------


def sqlite_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, url=f"sqlite:///{tmp_path / 'cli.db'}")


def show_json(config: Path, email: str, cwd: Path) -> dict:
    result = run_cli("--config", str(config), "accounts", "show", email, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def cli_round_trip(config: Path, tmp_path: Path) -> None:
    """Import, show, re-import (update), a bad import that changes nothing."""
    result = run_cli("--config", str(config), "accounts", "import", str(csv_file(tmp_path, SEED)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 new, 0 updated" in result.stdout

    record = show_json(config, "BOSS@y.ORG", tmp_path)  # any case finds it
    assert list(record) == list(CSV_FIELDS)
    assert record == {
        "account_id": 77,
        "email": "boss@y.org",
        "plan": "pro",
        "status": "active",
        "paid_until": "2027-01-31",
        "primary_account_id": None,
    }
    assert show_json(config, "va@x.net", tmp_path)["primary_account_id"] == 77

    update = csv_file(tmp_path, f"{HEADER}\n1042,VA@x.net,pro,active,2027-01-31,77\n", "u.csv")
    result = run_cli("--config", str(config), "accounts", "import", str(update), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 updated" in result.stdout
    assert show_json(config, "va@x.net", tmp_path)["status"] == "active"

    bad = csv_file(tmp_path, GOOD_PREFIX.replace("active", "cancelled") + "12,b@q.de,pro,zombie,,\n", "bad.csv")
    result = run_cli("--config", str(config), "accounts", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: line 4: status must be one of active, trial, expired, cancelled, got 'zombie'"
    ]
    assert "Traceback" not in result.stderr
    assert show_json(config, "va@x.net", tmp_path)["status"] == "active"  # not cancelled
    missing = run_cli("--config", str(config), "accounts", "show", "new@q.de", cwd=tmp_path)
    assert missing.returncode != 0  # row 9 of the bad file was not inserted


def test_cli_import_and_show_round_trip_on_sqlite(tmp_path):
    cli_round_trip(sqlite_config(tmp_path), tmp_path)


def test_cli_show_without_json_lists_every_field(tmp_path):
    config = sqlite_config(tmp_path)
    run_cli("--config", str(config), "accounts", "import", str(csv_file(tmp_path, SEED)), cwd=tmp_path)
    result = run_cli("--config", str(config), "accounts", "show", "Solo@Z.com", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pairs = [line.partition(":") for line in result.stdout.splitlines()]
    fields = {key.strip(): value.strip() for key, _colon, value in pairs}
    assert fields == {
        "account_id": "500",
        "email": "solo@z.com",
        "plan": "basic",
        "status": "trial",
        "paid_until": "",
        "primary_account_id": "",
    }


def test_cli_show_unknown_email_exits_non_zero(tmp_path):
    config = sqlite_config(tmp_path)
    run_cli("--config", str(config), "accounts", "import", str(csv_file(tmp_path, SEED)), cwd=tmp_path)
    result = run_cli("--config", str(config), "accounts", "show", "Nobody@Y.org", "--json", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "nobody@y.org" in result.stderr


def test_cli_bad_row_with_wrong_column_count_names_the_line(tmp_path):
    config = sqlite_config(tmp_path)
    bad = csv_file(tmp_path, f"{HEADER}\n1,a@b.de,pro,active,,\n2,c@d.de,pro\n")
    result = run_cli("--config", str(config), "accounts", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "line 3" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("--config", str(config), "accounts", "show", "a@b.de", cwd=tmp_path).returncode != 0


def test_cli_uses_mailbot_config_from_the_environment(tmp_path):
    config = sqlite_config(tmp_path)
    env = {"MAILBOT_CONFIG": str(config)}
    assert run_cli("accounts", "import", str(csv_file(tmp_path, SEED)), cwd=tmp_path, env=env).returncode == 0
    result = run_cli("accounts", "show", "solo@z.com", "--json", cwd=tmp_path, env=env)
    assert json.loads(result.stdout)["account_id"] == 500


# --- PostgreSQL -------------------------------------------------------------------


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"mailbot_acc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_cli_import_and_show_round_trip_on_postgresql(pg_database, tmp_path):
    cli_round_trip(write_config(tmp_path, url=pg_database), tmp_path)


def test_import_on_postgresql_is_all_or_nothing_and_handles_swaps(pg_database, tmp_path):
    engine = make_engine(pg_database)
    try:
        import_accounts(engine=engine, path=csv_file(tmp_path, SEED))
        before = snapshot(engine)
        with pytest.raises(ImportRowError, match=r"^line 4:"):
            import_accounts(engine=engine, path=csv_file(tmp_path, GOOD_PREFIX + "x,y@z.de,pro,active,,\n", "bad.csv"))
        assert snapshot(engine) == before
        swapped = f"{HEADER}\n77,va@x.net,pro,active,2027-01-31,\n1042,boss@y.org,pro,active,,77\n"
        import_accounts(engine=engine, path=csv_file(tmp_path, swapped, "swap.csv"))
        emails = {r["account_id"]: r["email"] for r in snapshot(engine)}
        assert emails == {77: "va@x.net", 500: "solo@z.com", 1042: "boss@y.org"}
    finally:
        engine.dispose()
