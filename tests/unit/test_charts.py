"""movierec.lib.charts: framework-free SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from movierec.lib.charts import bar_chart, compact, hbar_chart, line_chart


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


@pytest.mark.parametrize("draw", [bar_chart, hbar_chart, line_chart])
def test_no_data_says_so(draw):
    assert "No data yet" in draw([], label="Nothing")
