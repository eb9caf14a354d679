"""Charts drawn on the server as inline SVG (no JavaScript, a few hundred bytes each): the geometry of a
line chart over months; the template (`admin/_charts.html`) draws it, with a title and a table of the
numbers for screen readers."""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 14, 36


@dataclass
class Series:
    name: str
    values: list[float]
    css: str  # the class that colours it (app-line--a, --b, --c)
    points: str = ""
    area: str = ""
    dots: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, value


@dataclass
class LineChart:
    title: str
    unit: str
    labels: list[str]
    series: list[Series]
    top: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    grid: list[tuple[float, str]] = field(default_factory=list)  # y, label
    ticks: list[tuple[float, str, str]] = field(default_factory=list)  # x, label, text-anchor


def nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (at least 1): a round top for the axis."""
    if value <= 1:
        return 1
    step = 1.0
    while step * 10 < value:
        step *= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def _number(v: float) -> str:
    return f"{v:g}" if v < 10000 else f"{v / 10000:g}万"


def line_chart(title: str, unit: str, labels: list[str], series: list[tuple[str, list[float]]]) -> LineChart:
    """A line chart of one or more series over the same labels (months); the first series is filled."""
    top = nice_top(max((v for _, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(labels)

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    chart = LineChart(title=title, unit=unit, labels=labels, series=[], top=top)
    chart.grid = [(y(top * f), _number(top * f)) for f in (0, 0.5, 1)]
    every = max(1, -(-n // 6))  # at most about six month labels
    shown = sorted({*range(0, n, every), n - 1}) if n else []
    chart.ticks = [
        (x(i), labels[i], "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle")
        for i in shown
    ]
    for k, (name, values) in enumerate(series):
        s = Series(name=name, values=values, css=f"app-line--{'abc'[k % 3]}")
        s.dots = [(x(i), y(v), v) for i, v in enumerate(values)]
        s.points = " ".join(f"{px},{py}" for px, py, _ in s.dots)
        if k == 0 and s.dots:
            base = y(0)
            s.area = (
                f"M{s.dots[0][0]},{base} L"
                + " L".join(f"{px},{py}" for px, py, _ in s.dots)
                + (f" L{s.dots[-1][0]},{base} Z")
            )
        chart.series.append(s)
    return chart
