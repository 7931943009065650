"""Bar charts drawn on the server as inline SVG: no chart library, no script, nothing from a CDN
(the admin's Content-Security-Policy allows none of those). Colours are presentation attributes,
so no inline style is needed either."""

from collections.abc import Callable, Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 420, 180
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 22, 28
BAR_COLOUR = "#0f766e"


def _month_label(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1).strftime("%b")


def bar_chart(
    *, title: str, points: Sequence[tuple[str, int]], value_label: Callable[[int], str] = str, chart_id: str
) -> SafeString:
    """`points` are (YYYY-MM, value) pairs, oldest first; each bar has a tooltip with its value."""
    values = [value for _, value in points]
    top = max(values, default=0) or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bars = []
    for index, (month, value) in enumerate(points):
        height = round(plot_height * value / top, 1)
        x = round(LEFT + index * slot + slot * 0.15, 1)
        y = round(TOP + plot_height - height, 1)
        bars.append(
            (
                x,
                y,
                round(slot * 0.7, 1),
                height,
                BAR_COLOUR,
                f"{month}: {value_label(value)}",
                round(x + slot * 0.35, 1),
                HEIGHT - BOTTOM + 16,
                _month_label(month),
            )
        )
    body = format_html_join(
        "",
        '<g class="bar"><rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#555">{}</text></g>',
        bars,
    )
    return format_html(
        '<svg id="{}" class="dashboard-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<text x="{}" y="14" font-size="12" font-weight="bold" fill="#333">{}</text>'
        '<text x="{}" y="14" font-size="10" text-anchor="end" fill="#555">max {}</text>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>{}</svg>',
        chart_id,
        title,
        WIDTH,
        HEIGHT,
        title,
        LEFT,
        title,
        WIDTH - RIGHT,
        value_label(max(values, default=0)),
        LEFT,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        body,
    )


def rupees(paise: int) -> str:
    return f"₹{paise / 100:,.0f}"
