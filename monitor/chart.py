"""The timeline chart: hits per day as stacked bars. The only module importing plotly.

The figure is built here as JSON and drawn in the browser by plotly.js, which the
review page serves itself from the installed plotly package: no CDN, no network.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import plotly.graph_objects as go
import plotly.offline


def figure_json(days: list[date], series: dict[str, list[int]], title: str) -> str:
    figure = go.Figure(
        data=[
            go.Bar(name=label, x=[d.isoformat() for d in days], y=counts)
            for label, counts in series.items()
        ],
        layout=go.Layout(
            barmode="stack",
            title=title,
            xaxis={"type": "date", "title": "day"},
            yaxis={"title": "hits", "rangemode": "tozero"},
            margin={"l": 50, "r": 20, "t": 50, "b": 50},
            legend={"orientation": "h"},
            template="plotly_white",
        ),
    )
    return str(figure.to_json())


@cache
def plotly_js() -> str:
    """plotly.js itself, as shipped inside the plotly package."""
    return str(plotly.offline.get_plotlyjs())


def figure_timeline_json(points: list[dict[str, object]], title: str) -> str:
    """Reported values over time, one line per (kind, source): who said what when.

    ``points`` are figure rows (``kind``, ``source``, ``value``, ``reported_at``,
    ``outlet``), oldest first."""
    lines: dict[str, list[dict[str, object]]] = {}
    for point in points:
        label = f"{point['kind']} ({point['source'] or 'no source'})"
        lines.setdefault(label, []).append(point)
    figure = go.Figure(
        data=[
            go.Scatter(
                name=label,
                mode="lines+markers",
                x=[p["reported_at"] for p in found],
                y=[p["value"] for p in found],
                text=[str(p["outlet"]) for p in found],
                hovertemplate="%{y:,} on %{x}<br>%{text}<extra>" + label + "</extra>",
            )
            for label, found in lines.items()
        ],
        layout=go.Layout(
            title=title,
            xaxis={"type": "date", "title": "reported"},
            yaxis={"title": "value", "rangemode": "tozero", "tickformat": ","},
            margin={"l": 60, "r": 20, "t": 50, "b": 50},
            legend={"orientation": "h"},
            template="plotly_white",
        ),
    )
    return str(figure.to_json())
