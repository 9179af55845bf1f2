"""Dashboard charts as SVG text, drawn on the server: no script library, readable without JavaScript.

Plain functions of numbers to markup; every text is XML-escaped. Colours keep enough contrast on white.
"""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

COLOURS = ("#1f5fa8", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0f766e", "#a16207", "#4b5563")
LATE = "#c2410c"
ON_TIME = "#15803d"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, value: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(value)}</text>'


def timeline(
    title: str,
    series: dict[str, list[tuple[date, int]]],
    starts: date,
    ends: date,
    deadline: date | None,
    today: date | None = None,
    *,
    peak: int | None = None,
) -> str:
    """Cumulative entries per day for each series (a step line from 0 at the start, carried on to today),
    with the internal deadline and today marked."""
    width, height, left, right, top, bottom = 640, 280, 48, 130, 24, 36
    span = max(1, (ends - starts).days)
    peak = peak or max([1] + [v for points in series.values() for _, v in points])
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + plot_w * min(max((day - starts).days, 0), span) / span

    def y(value: int) -> float:
        return top + plot_h * (1 - value / peak)

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#555"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>',
        _text(left - 6, top + 4, str(peak), "end"),
        _text(left - 6, top + plot_h, "0", "end"),
        _text(left, height - 12, starts.isoformat()),
        _text(left + plot_w, height - 12, ends.isoformat(), "end"),
    ]
    if deadline is not None:
        dx = x(deadline)
        body.append(f'<line x1="{dx:.1f}" y1="{top}" x2="{dx:.1f}" y2="{top + plot_h}" stroke="{LATE}" stroke-dasharray="4 3"/>')
        body.append(_text(dx, top - 8, f"校內期限 {deadline.isoformat()}", "middle", f' fill="{LATE}"'))
    if today is not None:
        tx = x(today)
        body.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{top + plot_h}" stroke="#9ca3af" stroke-dasharray="2 2"/>')
        body.append(_text(tx, top + plot_h + 14, "今天", "middle", ' fill="#4b5563"'))
    for index, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[index % len(COLOURS)]
        if points:
            steps, previous = [(starts, 0)], 0
            for day, value in points:
                steps += [(day, previous), (day, value)]
                previous = value
            if today is not None and today > points[-1][0]:
                steps.append((today, previous))
            path = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in steps)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            body += [f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"/>' for day, value in points]
        legend_y = top + 16 * index + 8
        body.append(f'<rect x="{width - right + 10}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(width - right + 24, legend_y + 1, f"{name} {points[-1][1] if points else 0}"))
    return _svg(width, height, title, body)


def share_bars(title: str, rows: list[tuple[str, int, int]], done_label: str, open_label: str) -> str:
    """One horizontal bar per row: `done` of `total`, with the share written beside it."""
    width, left, bar_h, gap, top = 640, 110, 18, 8, 24
    height = top + len(rows) * (bar_h + gap) + 28
    plot_w = width - left - 150
    body = [
        f'<rect x="{left}" y="4" width="10" height="10" fill="{ON_TIME}"/>',
        _text(left + 14, 13, done_label),
        f'<rect x="{left + 120}" y="4" width="10" height="10" fill="#d1d5db"/>',
        _text(left + 134, 13, open_label),
    ]
    for index, (label, done, total) in enumerate(rows):
        y = top + index * (bar_h + gap)
        filled = plot_w * (done / total) if total else 0
        body.append(_text(left - 8, y + bar_h - 4, label, "end"))
        body.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#d1d5db"/>')
        body.append(f'<rect x="{left}" y="{y}" width="{filled:.1f}" height="{bar_h}" fill="{ON_TIME}"/>')
        percent = f"{round(100 * done / total)}%" if total else "—"
        body.append(_text(left + plot_w + 8, y + bar_h - 4, f"{done}/{total} {percent}"))
    return _svg(width, height, title, body)


def on_time_bars(title: str, rows: list[tuple[str, int, int]]) -> str:
    """Stacked bars per unit or person: entries before the internal deadline, and after it."""
    width, left, bar_h, gap, top = 640, 110, 18, 8, 24
    height = top + len(rows) * (bar_h + gap) + 28
    plot_w = width - left - 150
    peak = max([1] + [on + late for _, on, late in rows])
    body = [
        f'<rect x="{left}" y="4" width="10" height="10" fill="{ON_TIME}"/>',
        _text(left + 14, 13, "期限前"),
        f'<rect x="{left + 80}" y="4" width="10" height="10" fill="{LATE}"/>',
        _text(left + 94, 13, "逾期"),
    ]
    for index, (label, on, late) in enumerate(rows):
        y = top + index * (bar_h + gap)
        on_w, late_w = plot_w * on / peak, plot_w * late / peak
        body.append(_text(left - 8, y + bar_h - 4, label, "end"))
        body.append(f'<rect x="{left}" y="{y}" width="{on_w:.1f}" height="{bar_h}" fill="{ON_TIME}"/>')
        body.append(f'<rect x="{left + on_w:.1f}" y="{y}" width="{late_w:.1f}" height="{bar_h}" fill="{LATE}"/>')
        body.append(_text(left + plot_w + 8, y + bar_h - 4, f"準時 {on}、逾期 {late}"))
    return _svg(width, height, title, body)
