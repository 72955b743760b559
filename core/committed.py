"""What a request has already committed, so that an error after it never reads as a failure."""

from django.http import HttpRequest


def note_committed(request: HttpRequest, summary: str) -> None:
    """Record that `request` committed a change (`summary` says which), for the error page."""
    request.committed_change = summary  # type: ignore[attr-defined]


def committed_change(request: HttpRequest) -> str:
    """The change `request` committed before an error, or ""."""
    return getattr(request, "committed_change", "")
