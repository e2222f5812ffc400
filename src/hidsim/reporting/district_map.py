"""The district map: the district network at the districts' real relative positions.

One drawing, used by the dashboard (adoption of one service this week), the
report and ``plot_district_map`` (adoption per strategy at a sweep's horizon).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

#: Kilometres per degree of latitude, and of longitude at the equator (WGS84 means).
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON_EQUATOR = 111.32
#: Marker areas (points²) of the smallest and the most populous district.
SMALLEST, LARGEST = 250.0, 2500.0


def map_positions(graph: nx.Graph, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """District centroids in km east and north of their mean (equirectangular projection).

    Args:
        graph: the district network; nodes carry ``lat`` and ``lon`` (degrees).
        names: the districts, in the order wanted.

    Returns:
        Arrays ``east`` and ``north`` in km, one value per name.
    """
    lat = np.array([graph.nodes[n]["lat"] for n in names], dtype=float)
    lon = np.array([graph.nodes[n]["lon"] for n in names], dtype=float)
    east = (lon - lon.mean()) * KM_PER_DEGREE_LON_EQUATOR * np.cos(np.radians(lat.mean()))
    north = (lat - lat.mean()) * KM_PER_DEGREE_LAT
    return east, north


def marker_sizes(graph: nx.Graph, names: Sequence[str], scale: float = 1.0) -> np.ndarray:
    """Marker areas growing with each district's population (``population`` node attribute)."""
    population = np.array([graph.nodes[n]["population"] for n in names], dtype=float)
    return scale * (SMALLEST + (LARGEST - SMALLEST) * population / population.max())


def draw_district_map(ax, graph: nx.Graph, names: Sequence[str], values, *, vmax: float,
                      cmap: str = "YlGn", rings=(), labels: Sequence[str] | None = None,
                      size_scale: float = 1.0, fontsize: float = 8, scale_bar: bool = True):
    """Draw the district network on ``ax``: coloured districts sized by population.

    Lines between districts are as thick as their tie weight; a red ring marks the
    districts in ``rings``.

    Args:
        ax: a matplotlib Axes.
        graph: the district network (``lat``, ``lon``, ``population`` on nodes; ``weight``
            on edges).
        names: the districts in the order of ``values``.
        values: the colour value of each district (NaN: no value).
        vmax: the top of the colour scale (its bottom is 0).
        cmap: the colour map.
        rings: indices of the districts to ring.
        labels: text under each district (default its name).
        size_scale: factor on the marker areas (small panels).
        fontsize: size of the labels.
        scale_bar: draw a 2 km bar.

    Returns:
        The districts' scatter (for a colour bar).
    """
    x, y = map_positions(graph, names)
    where = {name: i for i, name in enumerate(names)}
    weights = [w for _, _, w in graph.edges(data="weight", default=1.0)]
    heaviest = max(weights, default=1.0) or 1.0
    for a, b, w in graph.edges(data="weight", default=1.0):
        i, j = where[a], where[b]
        ax.plot([x[i], x[j]], [y[i], y[j]], color="0.55", alpha=0.7, zorder=1,
                linewidth=0.3 + 6.0 * w / heaviest * size_scale ** 0.5,
                solid_capstyle="round")
    sizes = marker_sizes(graph, names, size_scale)
    ring = np.array([i in set(rings) for i in range(len(names))])
    dots = ax.scatter(x, y, s=sizes, c=np.asarray(values, dtype=float), cmap=cmap, vmin=0,
                      vmax=vmax, edgecolors=np.where(ring, "crimson", "0.2"),
                      linewidths=np.where(ring, 3, 1), zorder=2)
    for i, name in enumerate(names):
        # Below the marker: its radius in points is half the square root of its area.
        ax.annotate(labels[i] if labels is not None else name, (x[i], y[i]),
                    textcoords="offset points", xytext=(0, -np.sqrt(sizes[i]) / 2 - 3),
                    ha="center", va="top", fontsize=fontsize, zorder=3)
    if scale_bar:
        _scale_bar(ax, x, y)
    ax.set_aspect("equal")
    ax.margins(0.18)
    ax.set_axis_off()
    return dots


def _scale_bar(ax, x: np.ndarray, y: np.ndarray) -> None:
    """A 2 km bar in the lower right corner, so distances can be read."""
    right, bottom = x.max(), y.min() - 0.1 * max(np.ptp(y), 1.0)
    ax.plot([right - 2.0, right], [bottom, bottom], color="k", linewidth=2)
    ax.text(right - 1.0, bottom, "2 km", ha="center", va="bottom", fontsize=8)
