"""Two digest runs at once (each with its own connection, so its rows must be committed: this
module's data is made per test, not shared inside one transaction)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from mailings import digests
from summaries.summaries import make_progress_summaries
from tests.conftest import service_missing

from .summary_helpers import TODAY, digest_people, open_small_plan, run_twice_at_once, sending

send_digests = sending(digests.send_digests)


@pytest.mark.postgres
def test_two_runs_at_once_send_each_digest_once(transactional_db, plan_2021, monkeypatch):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (DATABASE_URL=postgres://…): SQLite runs one writer")
    digest_people(open_small_plan(plan_2021))
    make_progress_summaries(today=TODAY)
    barrier = threading.Barrier(2)
    real = digests.digest_mails

    def meet(*args, **kwargs):
        mails = real(*args, **kwargs)
        barrier.wait(timeout=10)  # both runs know whom to write to before either claims
        return mails

    monkeypatch.setattr(digests, "digest_mails", meet)
    errors = run_twice_at_once(lambda: send_digests(today=TODAY))

    assert errors == []
    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5
