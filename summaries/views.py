"""Pages of the progress summaries: list, one summary with charts and trend, CSV.

Every summary is loaded through `ProgressSummary.objects.visible_to` (accounts.policy): a
state's summary that the user may not see answers 404.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from core.csv import csv_response

from .charts import summary_charts
from .models import ProgressSummary
from .summaries import CSV_HEADER, csv_rows
from .tables import SummaryFilter, SummaryTable

TREND_PERIODS = 26


def _visible_summary(user, pk):
    summaries = ProgressSummary.objects.visible_to(user).select_related("plan", "member_state")
    return get_object_or_404(summaries, pk=pk)


@require_safe
@login_required
def summary_list(request):
    summaries = ProgressSummary.objects.visible_to(request.user).for_listing()
    filterset = SummaryFilter(request.GET, queryset=summaries, user=request.user)
    table = SummaryTable(filterset.qs, caption="Progress summaries", user=request.user)
    RequestConfig(request).configure(table)
    context = {"filter": filterset, "table": table, "period_kind": settings.SUMMARY_PERIOD}
    return render(request, "summaries/progresssummary_list.html", context)


@require_safe
@login_required
def summary_detail(request, pk):
    summary = _visible_summary(request.user, pk)
    figures = summary.figures_for(request.user)
    trend = [
        {"summary": item, "figures": item.figures_for(request.user)}
        for item in ProgressSummary.objects.trend_until(summary, TREND_PERIODS)
    ]
    context = {
        "summary": summary,
        "figures": figures,
        "trend": trend,
        "state_summaries": ProgressSummary.objects.visible_to(request.user).states_beside(summary),
        **summary_charts(summary, figures, trend),
    }
    return render(request, "summaries/progresssummary_detail.html", context)


@require_safe
@login_required
def summary_csv(request, pk):
    summary = _visible_summary(request.user, pk)
    scope = "region" if summary.is_regional else summary.member_state.code.lower()
    name = f"summary-{summary.plan.code}-{scope}-{summary.period_start:%Y-%m-%d}"
    return csv_response(name, CSV_HEADER, csv_rows(summary, summary.figures_for(request.user)))
