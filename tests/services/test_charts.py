"""The server-drawn trend lines: a round top for the axis, points inside the frame, the first series filled."""

from app.services import charts


def test_the_axis_tops_out_at_a_round_number_above_the_largest_value():
    assert [charts.nice_top(v) for v in (0, 0.4, 3, 7, 12, 180, 2600)] == [1, 1, 5, 10, 20, 200, 5000]


def test_points_fall_inside_the_frame_and_only_the_first_series_is_filled():
    chart = charts.line_chart(
        "各月", "个", ["26.01", "26.02", "26.03"], [("甲", [0, 5, 10]), ("乙", [1, 1, 1])]
    )
    first, second = chart.series
    assert chart.top == 10
    assert first.dots[0] == (charts.LEFT, charts.HEIGHT - charts.BOTTOM, 0)  # bottom left
    assert first.dots[-1] == (charts.WIDTH - charts.RIGHT, charts.TOP, 10)  # top right
    assert first.area.startswith("M") and first.area.endswith("Z") and second.area == ""
    assert [t[2] for t in chart.ticks] == ["start", "middle", "end"]


def test_a_single_month_is_drawn_in_the_middle():
    chart = charts.line_chart("各月", "小时", ["26.12"], [("时长", [2.5])])
    assert chart.series[0].dots[0][0] == charts.LEFT + (charts.WIDTH - charts.LEFT - charts.RIGHT) / 2
    assert chart.ticks == [(chart.series[0].dots[0][0], "26.12", "middle")]
