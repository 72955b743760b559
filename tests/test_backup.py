"""The README's dump-and-restore commands give back the same rows (security.md: backups)."""

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from actions.models import NationalStatus, StatusHistory
from actions.services import national_status_update
from tests import factories

from .conftest import service_missing

TABLES = [
    "countries_memberstate",
    "actions_plan",
    "actions_actionitem",
    "actions_nationalstatus",
    "actions_statushistory",
    "accounts_user",
]


def libpq_url(name):
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def table_rows(url):
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES
        }


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        service_missing("backup test needs PostgreSQL (set DATABASE_URL=postgres://...)")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        service_missing("backup test needs pg_dump and pg_restore (Debian: postgresql-client)")


def test_a_dump_restored_into_a_fresh_database_holds_the_same_rows(postgres, tmp_path):
    cambodia = factories.make_state("KH")
    plan = factories.make_plan(2026, 2030, status="in_force")
    item = factories.make_item(factories.make_focus_area(plan), title="Khmer: ការការពារកុមារ")
    focal_point = factories.make_user("focal_point", cambodia)
    national_status_update(
        user=focal_point,
        member_state=cambodia,
        action_item=item,
        expected_version=0,
        status="in_progress",
        progress=40,
        narrative="Draft law sent to the Council of Ministers.",
        challenges="",
        next_steps="",
        responsible_agency="CNCC",
    )
    assert NationalStatus.objects.count() == 1 and StatusHistory.objects.count() == 1
    source = libpq_url(connection.settings_dict["NAME"])
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    dump = tmp_path / "rpa.dump"
    with psycopg.connect(libpq_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        with dump.open("wb") as out:
            subprocess.run(["pg_dump", "--format=custom", source], stdout=out, check=True)
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                f"--dbname={libpq_url(restored_name)}",
                str(dump),
            ],
            check=True,
        )

        restored = table_rows(libpq_url(restored_name))
    finally:
        with psycopg.connect(libpq_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')

    assert restored == table_rows(source)
    assert len(restored["actions_statushistory"]) == 1
    assert "ការការពារកុមារ" in str(restored["actions_actionitem"])
