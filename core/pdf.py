"""Printable documents: HTML from a template, laid out as PDF by WeasyPrint.

WeasyPrint shapes text with Pango and HarfBuzz, so Khmer, Thai, Lao and Burmese come out as
real glyphs when their fonts are installed (Debian's fonts-noto-core; see README). The
documents' stylesheet is static/css/print.css, read from disk: nothing is fetched over the
network (a url_fetcher that refuses everything but our own static files).
"""

from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "print.css"


def _no_fetching(url, *args, **kwargs):
    raise ValueError(f"Documents load nothing from outside: {url}")


def render_pdf(template, context, request=None) -> bytes:
    """The PDF of `template` rendered with `context` (plus the generation time)."""
    context = {**context, "generated_at": timezone.localtime()}
    return layout_pdf(render_to_string(template, context, request=request))


def layout_pdf(html: str) -> bytes:
    """`html` laid out as the pages of a PDF, with the documents' stylesheet."""
    from weasyprint import CSS, HTML  # loaded on demand: it pulls in Pango at import

    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_fetching)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


def pdf_response(filename, template, context, request=None) -> HttpResponse:
    """A PDF download named `filename`, private to the user who asked for it."""
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
