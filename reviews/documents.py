"""A state's report in a round as a printable PDF, scoped exactly like its page."""

from django.contrib.auth.decorators import login_required
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from actions.models import ActionItem, NationalStatus, Provenance
from core.pdf import pdf_response

from .models import CountryReport
from .pages import report_page_context
from .views import _round, _state


@login_required
@require_safe
def report_pdf(request, round_id, code):
    reporting_round = _round(round_id)
    state = _state(request.user, code, reporting_round)
    report = CountryReport.objects.filter(round=reporting_round, member_state=state).first()
    page = report_page_context(
        request, reporting_round=reporting_round, state=state, report=report, bound={}, paged=False
    )
    provisional = set(
        ActionItem.objects.filter(
            plan=reporting_round.plan, provenance=Provenance.PROVISIONAL
        ).values_list("pk", flat=True)
    )
    comments = {thread.item.pk if thread.item else None: thread for thread in page["threads"]}
    actions = [
        {
            "row": row,
            "status_label": NationalStatus.display_value("status", row.status),
            "provisional": row.action_item_id in provisional,
            "comments": comments[row.action_item_id].comments
            if row.action_item_id in comments
            else [],
        }
        for row, _ in page["snapshot"]
    ]
    context = {
        **page,
        "actions": actions,
        "general_comments": comments[None].comments if None in comments else [],
        "figures": _figures([row for row, _ in page["snapshot"]], provisional),
    }
    name = f"rpa-report-{state.code.lower()}-{slugify(reporting_round.name)}.pdf"
    return pdf_response(name, "documents/country_report.html", context, request)


def _figures(rows, provisional):
    """Counts per status, applicable items, mean progress, provisional actions."""
    applicable = [row for row in rows if row.status != NationalStatus.Status.NOT_APPLICABLE]
    progress = [row.progress for row in applicable if row.progress is not None]
    return {
        "items": len(rows),
        "per_status": [
            (label, sum(1 for row in rows if row.status == value))
            for value, label in NationalStatus.Status.choices
        ],
        "average_progress": round(sum(progress) / len(progress), 1) if progress else None,
        "provisional": sum(1 for row in rows if row.action_item_id in provisional),
    }
