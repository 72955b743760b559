"""load_demo_data refuses to run on a database without the reference data."""

import pytest
from django.core.management import CommandError

from tests.demo.conftest import load_demo, row_counts


def test_refuses_without_reference_data(db, debug_on):
    with pytest.raises(CommandError, match="load_reference_data"):
        load_demo()

    assert row_counts()["User"] == 0
