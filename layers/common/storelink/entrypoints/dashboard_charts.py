"""The dashboard's charts, drawn on the server as inline SVG (no script, no chart library to ship): the geometry
is computed here, the markup is a template's (`dashboard_templates/charts.html`), and every chart has a table
beside it with the same numbers, for a screen reader and for whoever prefers to read."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storelink.domain.figures import DayFigures, Ranked

WIDTH = 640
HEIGHT = 200
LEFT = 56  # room for the scale's labels
BOTTOM = 24  # room for the day labels
TOP = 8
# A label every n bars, so that day labels never overlap (about 44 px each).
LABEL_WIDTH = 44
ROW = 22  # one product of a ranking
NAME_WIDTH = 220


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    shown: str  # the value as the table and the bar's tooltip say it
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    labelled: bool = False


@dataclass(frozen=True)
class Chart:
    """A bar chart: `vertical` (one bar a day) or a ranking (one row a product)."""

    chart_id: str
    title: str
    label_heading: str
    value_heading: str
    bars: list[Bar]
    vertical: bool
    width: int
    height: int
    top_value: str  # the scale's top, as shown

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _nice_top(largest: Decimal) -> Decimal:
    """The scale's top: 1, 2 or 5 times a power of ten, at or above the largest value."""
    if largest <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(largest))) - 1)
    for step in (1, 2, 5, 10):
        if largest <= step * power:
            return step * power
    return 10 * power


def per_day(chart_id: str, title: str, value_heading: str, points: Sequence[tuple[str, Decimal, str]]) -> Chart:
    """One bar a day (`points`: label, value, value as shown), oldest on the left."""
    top = _nice_top(max((value for _, value, _ in points), default=Decimal(0)))
    plot_width, plot_height = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(points), 1)
    every = max(1, int(LABEL_WIDTH // slot) + (1 if LABEL_WIDTH % slot else 0))
    bars = []
    for n, (label, value, shown) in enumerate(points):
        height = float(value / top) * plot_height
        bars.append(
            Bar(
                label,
                value,
                shown,
                x=LEFT + n * slot + slot * 0.15,
                y=TOP + plot_height - height,
                width=slot * 0.7,
                height=height,
                labelled=n % every == 0,
            )
        )
    return Chart(chart_id, title, "Day", value_heading, bars, True, WIDTH, HEIGHT, _shown(top))


def ranking(chart_id: str, title: str, value_heading: str, rows: Sequence[tuple[str, Decimal, str]]) -> Chart:
    """One row an item (`rows`: name, value, value as shown), largest first, as given."""
    top = max((value for _, value, _ in rows), default=Decimal(0)) or Decimal(1)
    bar_room = WIDTH - NAME_WIDTH - 60
    bars = [
        Bar(
            name,
            value,
            shown,
            x=NAME_WIDTH,
            y=n * ROW + 4,
            width=float(value / top) * bar_room,
            height=ROW - 8,
            labelled=True,
        )
        for n, (name, value, shown) in enumerate(rows)
    ]
    return Chart(chart_id, title, "Product", value_heading, bars, False, WIDTH, max(len(rows), 1) * ROW, _shown(top))


def _shown(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def figure_charts(prefix: str, days: Sequence[DayFigures], top_products: Sequence[Ranked]) -> list[Chart]:
    """The charts a person would rather look at than read: orders per day, revenue per day in each currency (never
    converted: one chart a currency), and the top products by units."""
    charts = [
        per_day(
            f"{prefix}-orders",
            "Orders per day",
            "Orders",
            [(d.day.isoformat(), Decimal(d.orders), str(d.orders)) for d in days],
        )
    ]
    for currency in sorted({currency for day in days for currency in day.revenue}):
        revenue = [
            (d.day.isoformat(), d.revenue.get(currency, Decimal(0)), f"{d.revenue.get(currency, Decimal(0)):,.2f}")
            for d in days
        ]
        charts.append(
            per_day(f"{prefix}-revenue-{currency}", f"Revenue per day ({currency})", f"Revenue ({currency})", revenue)
        )
    ranked = [(product.name, Decimal(product.units), str(product.units)) for product in top_products]
    charts.append(ranking(f"{prefix}-top-products", "Top products by units sold", "Units", ranked))
    return charts
