import shutil

import pytest
from django.conf import settings


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the shipped data/ that a test may break."""
    return shutil.copytree(settings.REFERENCE_DATA_DIR, tmp_path / "data")
