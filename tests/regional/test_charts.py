"""Server-side SVG charts: well-formed, labelled, escaped, no style attributes, numbers shown."""

import xml.etree.ElementTree as ET

from actions.charts import (
    Bar,
    Series,
    StackedRow,
    area_label,
    bar_chart,
    stacked_bar_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    return ET.fromstring(str(markup))


def texts(root):
    return [element.text for element in root.iter(f"{SVG}text") if element.text]


def titles(root):
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}title")]


def assert_accessible(root, chart_id, title, desc):
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    first_title = root.find(f"{SVG}title")
    assert (first_title.get("id"), first_title.text) == (f"{chart_id}-title", title)
    description = root.find(f"{SVG}desc")
    assert (description.get("id"), description.text) == (f"{chart_id}-desc", desc)


def assert_no_style_or_script(markup):
    for element in parse(markup).iter():
        assert "style" not in element.attrib, element.tag
        assert not element.tag.endswith("script")
    assert "style=" not in str(markup)


def test_bar_chart_labels_each_bar_with_its_number_and_holds_no_link():
    markup = bar_chart(
        [Bar("Cambodia", 37.5), Bar("Laos", None)],
        chart_id="progress",
        title="Average progress",
        desc="Per member state",
    )
    root = parse(markup)

    assert_accessible(root, "progress", "Average progress", "Per member state")
    assert "37.5 %" in texts(root)
    assert "no figure" in texts(root)
    assert "Cambodia: 37.5 %" in titles(root)
    # An image (role="img") hides its content from assistive technology: the table beside it
    # holds the links.
    assert list(root.iter(f"{SVG}a")) == []
    assert_no_style_or_script(markup)


def test_a_provisional_focus_areas_label_keeps_its_mark_when_shortened():
    label = area_label(
        3, "Specialised national units and cross-border investigation", "provisional"
    )
    markup = bar_chart([Bar(label, 20)], chart_id="c", title="t", desc="d")

    (shown, _) = texts(parse(markup))
    assert shown.startswith("3. Special")
    assert shown.endswith("… (provisional)")
    assert len(shown) <= 32
    assert f"{label}: 20 %" in titles(parse(markup))
    assert area_label(1, "Legal frameworks", "confirmed") == "1. Legal frameworks"


def test_bar_width_follows_the_value_and_is_capped_at_the_scale():
    markup = bar_chart(
        [Bar("half", 50), Bar("over", 150)], chart_id="c", title="t", desc="d", max_value=100
    )
    widths = [
        float(rect.get("width"))
        for rect in parse(markup).iter(f"{SVG}rect")
        if rect.get("fill") == "#0b4f8a"
    ]

    assert widths[1] == 2 * widths[0]


def test_labels_are_escaped():
    evil = '<script>alert(1)</script> & "x"'
    for markup in (
        bar_chart([Bar(evil, 1)], chart_id="a", title=evil, desc=evil),
        stacked_bar_chart(
            [StackedRow(evil, {"completed": 1})], chart_id="b", title=evil, desc=evil
        ),
        trend_chart([evil], [Series(evil, [1])], chart_id="c", title=evil, desc=evil),
    ):
        assert "<script>" not in str(markup)
        assert evil in titles(parse(markup))
        assert_no_style_or_script(markup)


def test_stacked_bars_show_counts_titles_legend_and_notes():
    markup = stacked_bar_chart(
        [
            StackedRow("Cambodia", {"completed": 3, "in_progress": 1, "not_applicable": 1}),
            StackedRow("Timor-Leste", {}, note="not a member then"),
        ],
        chart_id="dist",
        title="Status per state",
        desc="Stacked",
    )
    root = parse(markup)

    assert_accessible(root, "dist", "Status per state", "Stacked")
    assert {"Cambodia: Completed 3", "Cambodia: In progress 1"} <= set(titles(root))
    assert "3" in texts(root)
    assert "not a member then" in texts(root)
    assert "Ongoing (continuous measure)" in texts(root)  # the legend
    assert_no_style_or_script(markup)


def test_stacked_segments_share_the_width_in_proportion():
    markup = stacked_bar_chart(
        [StackedRow("x", {"completed": 3, "planned": 1})], chart_id="s", title="t", desc="d"
    )
    segments = [float(g.find(f"{SVG}rect").get("width")) for g in parse(markup).iter(f"{SVG}g")]

    assert segments[1] == segments[0] * 3  # planned comes before completed


def test_trend_chart_has_a_point_with_a_title_per_value_and_skips_missing_ones():
    markup = trend_chart(
        ["Jan", "Feb", "Mar"],
        [Series("Changes", [4, None, 7]), Series("Completions", [0, 1, 2])],
        chart_id="trend",
        title="Activity",
        desc="Per month",
    )
    root = parse(markup)

    assert_accessible(root, "trend", "Activity", "Per month")
    assert {"Changes, Jan: 4", "Changes, Mar: 7", "Completions, Feb: 1"} <= set(titles(root))
    assert "Changes, Feb" not in " ".join(titles(root))
    assert len(list(root.iter(f"{SVG}circle"))) == 5
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert_no_style_or_script(markup)
