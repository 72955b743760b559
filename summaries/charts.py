"""The SVG charts of a progress summary's page (the page shows the same numbers in tables)."""

from actions.charts import (
    Bar,
    Series,
    StackedRow,
    area_label,
    bar_chart,
    stacked_bar_chart,
    trend_chart,
)


def _area_label(area):
    return area_label(area["number"], area["title"], area.get("provenance"))


def summary_charts(summary, figures, trend):
    """The charts of `summary`'s page: statuses, progress per focus area, the trend."""
    areas = figures["focus_areas"]
    rows = [StackedRow("All focus areas", figures["status_counts"])] + [
        StackedRow(_area_label(area), area["status_counts"]) for area in areas
    ]
    labels = [item["summary"].short_period_label for item in trend]
    return {
        "status_chart": stacked_bar_chart(
            rows,
            chart_id="status-chart",
            title=f"Status of the actions, {summary.scope_name}",
            desc="Number of actions in each status, overall and per focus area.",
        ),
        "area_chart": bar_chart(
            [Bar(_area_label(area), area["average_progress"]) for area in areas],
            chart_id="area-chart",
            title="Average progress per focus area",
            desc="Average progress in per cent of the applicable actions of each focus area.",
        ),
        "trend_chart": trend_chart(
            labels,
            [
                Series("Average progress", [i["figures"]["average_progress"] for i in trend]),
                Series("Completed share", [i["figures"]["completed_share"] for i in trend]),
            ],
            chart_id="trend-chart",
            title=f"Progress over the last {len(trend)} summaries",
            desc="Average progress and share of completed actions, in per cent, per period.",
            max_value=100,
            unit=" %",
        ),
    }
