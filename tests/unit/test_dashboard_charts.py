"""The dashboard's charts: bars scaled to a round top, day labels that never overlap, rankings largest first."""

import itertools
from decimal import Decimal

from storelink.entrypoints.dashboard_charts import HEIGHT, LABEL_WIDTH, WIDTH, per_day, ranking


def points(values: list[int]) -> list[tuple[str, Decimal, str]]:
    return [(f"2026-11-{day:02d}", Decimal(value), str(value)) for day, value in enumerate(values, start=1)]


def test_a_day_series_is_scaled_to_a_round_top_within_the_chart() -> None:
    # Given 3 days with 0, 3 and 7 orders
    chart = per_day("orders", "Orders per day", "Orders", points([0, 3, 7]))
    # Then the scale tops at 10, the tallest bar at 70 % of the plot, nothing leaves the picture
    assert chart.top_value == "10"
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0
    assert heights[2] == max(heights)
    assert 3 / 7 - 0.01 < heights[1] / heights[2] < 3 / 7 + 0.01
    assert all(bar.x >= 0 and bar.x + bar.width <= WIDTH and 0 <= bar.y <= HEIGHT for bar in chart.bars)
    assert not chart.empty


def test_day_labels_of_a_long_range_leave_room_for_each_other() -> None:
    # Given 92 days (the longest range)
    chart = per_day("orders", "Orders per day", "Orders", points([1] * 92))
    labelled = [bar.x for bar in chart.bars if bar.labelled]
    # Then the first day is labelled, and labels are at least a label's width apart
    assert chart.bars[0].labelled
    assert min(b - a for a, b in itertools.pairwise(labelled)) >= LABEL_WIDTH
    # And every day keeps its bar and its row in the table
    assert len(chart.bars) == 92


def test_a_range_with_nothing_in_it_says_so_rather_than_drawing_nothing() -> None:
    assert per_day("orders", "Orders per day", "Orders", points([0, 0])).empty
    assert ranking("top", "Top products", "Units", []).empty


def test_a_ranking_draws_each_row_in_proportion_to_the_first() -> None:
    rows = [("Linen shirt", Decimal(8), "8"), ("Canvas tote", Decimal(2), "2")]
    chart = ranking("top", "Top products by units", "Units", rows)
    assert [bar.label for bar in chart.bars] == ["Linen shirt", "Canvas tote"]
    assert chart.bars[1].width == chart.bars[0].width / 4
    assert chart.height == 2 * (chart.bars[1].y - chart.bars[0].y)
