"""core.links.url_maker: the same URLs as reverse(), from one reverse() per route."""

import pytest
from django.urls import reverse, set_script_prefix

from core.links import url_maker


def test_url_maker_gives_reverses_urls():
    status = url_maker("national:state_status_detail", "KH")
    download = url_maker("national:evidence_download")
    for pk in (1, 42, 7654321, 76543210987):
        assert status(pk) == reverse("national:state_status_detail", args=["KH", pk])
        assert download(pk) == reverse("national:evidence_download", args=[pk])


@pytest.mark.parametrize("prefix", ["/", "/rpa/"])
def test_url_maker_keeps_the_script_prefix(prefix):
    set_script_prefix(prefix)
    try:
        history = url_maker("national:state_status_history", "KH")
        assert history(42) == reverse("national:state_status_history", args=["KH", 42])
        assert history(42).startswith(prefix)
    finally:
        set_script_prefix("/")
