"""movierec.lib.charts: framework-free SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from movierec.lib.charts import bar_chart, compact, hbar_chart, line_chart, monthly_chart


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (7, "7"),
        (3.456, "3.46"),
        (0.5, "0.5"),
        (0.0047, "0.0047"),
        (137.25, "137"),
        (1234, "1.2k"),
        (56_789, "57k"),
        (2_500_000, "2.5M"),
    ],
)
def test_compact_numbers(value, text):
    assert compact(value) == text


@pytest.mark.parametrize(
    "draw",
    [
        lambda: bar_chart([("1★", 10), ("2★", 30)], label="Scores <all>"),
        lambda: hbar_chart([("Drama & Crime", 3.5), ("Sci-Fi", 4.0)], label="Means", max_value=5),
        lambda: line_chart([("#1", 900), ("#2", 40), ("#3", 1)], label="Tail", log_scale=True),
        lambda: line_chart([("Jan", 3), ("Feb", 9)], label="Months"),
    ],
)
def test_charts_are_well_formed_svg_with_escaped_labels(draw):
    root = ET.fromstring(draw())
    assert root.tag.endswith("svg") and root.get("role") == "img" and root.get("aria-label")


def test_bar_heights_follow_the_values():
    root = ET.fromstring(bar_chart([("a", 10), ("b", 20)], label="x"))
    heights = [float(rect.get("height")) for rect in root.iter() if rect.tag.endswith("rect")]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_log_scale_puts_a_grid_line_at_each_power_of_ten():
    svg = line_chart([("#1", 1000), ("#2", 10)], label="x", log_scale=True)
    for tick in (">1<", ">10<", ">100<", ">1.0k<"):
        assert tick in svg


def test_a_single_point_is_a_dot():
    svg = line_chart([("Mar 2024", 12)], label="One month")
    assert "<circle" in svg and "Mar 2024" in svg and "<polyline" not in svg


def polylines(svg: str) -> list[list[tuple[float, float]]]:
    root = ET.fromstring(svg)
    return [
        [tuple(map(float, point.split(","))) for point in line.get("points").split()]
        for line in root.iter()
        if line.tag.endswith("polyline")
    ]


def labels(svg: str) -> list[ET.Element]:
    return [
        text
        for text in ET.fromstring(svg).iter()
        if text.tag.endswith("text") and "label" in text.get("class") and "break-label" not in text.get("class")
    ]


def test_a_month_with_no_ratings_is_a_zero_one_step_wide_not_skipped():
    svg = monthly_chart([(date(1998, 1, 1), 10), (date(1998, 3, 1), 30), (date(1998, 4, 1), 20)], label="x")

    (line,) = polylines(svg)
    xs, ys = [x for x, _ in line], [y for _, y in line]
    assert len(line) == 4  # Jan, Feb (none), Mar, Apr
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1]) == pytest.approx(xs[3] - xs[2])
    assert ys[1] == max(ys)  # February sits on the baseline


def test_a_long_gap_breaks_the_axis_and_says_how_long_it_was():
    # Given MovieLens ratings from 1997-98 and this site's own from late 2026
    points = [(date(1997, 9, 1), 600), (date(1997, 12, 1), 900), (date(1998, 4, 1), 300)]
    points += [(date(2026, 11, 1), 5), (date(2026, 12, 1), 8)]
    svg = monthly_chart(points, label="Ratings per month")

    # Then there are two lines, not one dropping through 28 years of zeros, and a labelled break between them
    before, after = polylines(svg)
    assert len(before) == 8 and len(after) == 2
    assert after[0][0] > before[-1][0]
    assert "28 years later" in svg and svg.count('class="axis-break"') == 2
    texts = [text.text for text in labels(svg)]
    assert texts[0] == "Sep 1997" and texts[-1] == "Dec 2026"


def test_the_last_month_label_is_anchored_inside_the_chart():
    svg = monthly_chart([(date(2026, month, 1), month) for month in range(1, 13)], label="x", width=640)

    last, first = labels(svg)[-1], labels(svg)[0]
    assert last.text == "Dec 2026" and "label-end" in last.get("class") and float(last.get("x")) <= 640
    assert first.text == "Jan 2026" and "label-start" in first.get("class")


def test_one_month_is_a_dot():
    svg = monthly_chart([(date(2024, 3, 1), 12)], label="One month")
    assert "<circle" in svg and "Mar 2024" in svg and "<polyline" not in svg


@pytest.mark.parametrize("draw", [bar_chart, hbar_chart, line_chart, monthly_chart])
def test_no_data_says_so(draw):
    assert "No data yet" in draw([], label="Nothing")
