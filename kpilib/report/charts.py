"""Report charts, with Chinese text, sized for A4 paper.

Charts are built and drawn inside :func:`styled`, a ``matplotlib.rc_context``
with a CJK font (Debian's ``fonts-wqy-microhei``, installed by setup.sh) first
and ASCII minus signs, so Chinese titles, axes and labels render without tofu
boxes or "Glyph ... missing" warnings, and nothing changes matplotlib's global
settings. Notebooks never set fonts themselves.

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot (no global figure state, nothing leaks between reports in a kernel).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap
from matplotlib.figure import Figure

from kpilib.errors import KpiError, Problem

# Font files tried in order; KPILIB_CJK_FONT overrides. The first is what setup.sh installs.
CJK_FONT_FILES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
PAGE_WIDTH = 7.0  # inches: A4 (8.27in) less the report's margins
DPI = 150  # crisp when the HTML image is scaled down to the printed page
# red below 60% (seed 000's threshold), amber to 100%, green above
COMPLETION_CMAP = LinearSegmentedColormap.from_list(
    "completion", [(0, "#c0392b"), (0.5, "#f5b041"), (0.8333, "#f7f7f7"), (1, "#27ae60")]
)


@functools.cache
def setup_fonts() -> str:
    """Register a CJK font file with matplotlib (once per process); return its family.

    Raises :class:`~kpilib.errors.KpiError` naming the package to install when no
    Chinese font is found.
    """
    wanted = os.environ.get("KPILIB_CJK_FONT")
    candidates = [wanted] if wanted else CJK_FONT_FILES
    found = next((Path(p) for p in candidates if p and Path(p).exists()), None)
    if found is None:
        raise KpiError(
            Problem(
                f"no Chinese font found (looked for {', '.join(candidates)})",
                "install one: sudo apt-get install fonts-wqy-microhei (or run bash setup.sh), "
                "or set KPILIB_CJK_FONT to a .ttf/.otf/.ttc file with Chinese glyphs",
            )
        )
    font_manager.fontManager.addfont(str(found))
    return font_manager.FontProperties(fname=str(found)).get_name()


def styled():
    """A context in which charts are built and drawn: the CJK font first, ASCII minus
    signs (the font has no U+2212), mathtext off for text from users (``$`` is literal)."""
    family = setup_fonts()
    return matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, *matplotlib.rcParams["font.sans-serif"]],
            "axes.unicode_minus": False,
            "text.parse_math": False,  # "$\\frac{1}{$" in a name is shown as written
            "text.usetex": False,
        }
    )


def _styled(build):
    """Run a chart function inside :func:`styled`."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with styled():
            return build(*args, **kwargs)

    return wrapper


@_styled
def figure(height: float) -> Figure:
    """An empty report-width figure; add to it inside :func:`styled`."""
    return Figure(figsize=(PAGE_WIDTH, height), dpi=DPI, layout="constrained")


def completion_matrix(items: pd.DataFrame) -> pd.DataFrame:
    """Person × indicator completion, weight-averaged over an indicator's sub-items.

    Rows keep the people's order in ``items``; columns are indicators ordered by
    how many people carry them. Blank (NaN) where a person has no such indicator.
    """
    scored = items.dropna(subset=["completion"]).assign(wc=lambda f: f["completion"] * f["weight"])
    sums = scored.groupby(["person", "indicator"], sort=False)[["wc", "weight"]].sum()
    matrix = (sums["wc"] / sums["weight"]).unstack("indicator")
    people = items["person"].drop_duplicates()
    order = scored.groupby("indicator", sort=False)["person"].nunique()
    order = order.sort_values(ascending=False, kind="stable").index
    return matrix.reindex(index=people[people.isin(matrix.index)], columns=order)


@_styled
def completion_heatmap(items: pd.DataFrame, title: str = "各人各项指标完成率") -> Figure:
    """Heatmap of :func:`completion_matrix`: indicators down, people across.

    Colour runs red (0%) through amber (60%) and white (100%) to green (120%+);
    each cell shows its percentage.
    """
    matrix = completion_matrix(items).T
    height = min(9.5, 1.2 + 0.28 * len(matrix))
    fig = figure(height)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=COMPLETION_CMAP, vmin=0, vmax=1.2, aspect="auto"
    )
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize=8)
    ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=7)
    ax.tick_params(length=0)
    ax.set_facecolor("#eeeeee")
    rows, cols = np.nonzero(~np.isnan(values))
    for r, c in zip(rows, cols, strict=True):  # one label per filled cell: a few dozen
        ax.text(c, r, f"{values[r, c] * 100:.0f}", ha="center", va="center", fontsize=5.5)
    ax.set_title(title, fontsize=11)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.01)
    bar.set_ticks([0, 0.6, 1.0, 1.2], labels=["0%", "60%", "100%", "120%"], fontsize=7)
    return fig


@_styled
def score_distribution(people: pd.DataFrame, grades, title: str = "总分分布") -> Figure:
    """Histogram of totals with the plan's grade bands shaded and named.

    ``grades`` is ``plan.grades`` (highest first, each with ``name`` and ``min``).
    """
    totals = people.loc[people["valid"], "total"].astype(float)
    fig = figure(2.8)
    ax = fig.add_subplot()
    top = max(totals.max() if len(totals) else 100, 100) + 5
    edges = np.arange(0, top + 5, 5.0)
    ax.hist(totals, bins=edges, color="#2e86c1", edgecolor="white")
    mins = [g.min for g in grades[:-1]]
    bounds = [top, *mins, 0]
    shades = ["#e8f8f5", "#fef9e7"]
    low = totals.min() if len(totals) else 0
    left = max(0, min(low - 10, (mins[-1] if mins else 0) - 10))
    ax.set_xlim(left, top)
    for i, grade in enumerate(grades):
        ax.axvspan(bounds[i + 1], bounds[i], color=shades[i % 2], zorder=0)
        # name each band in the middle of its visible part
        ax.text(
            (bounds[i] + max(bounds[i + 1], left)) / 2,
            1.0,
            grade.name,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xlabel("总分")
    ax.set_ylabel("人数")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=11, pad=14)
    return fig


@_styled
def trend_heatmap(history: pd.DataFrame, title: str = "每月总分") -> Figure:
    """People down, months across, each cell the month's total, coloured by grade band.

    ``history`` has columns person, month, total (see ``kpilib.report.sections.month_totals``).
    """
    table = history.pivot(index="person", columns="month", values="total")
    table = table.reindex(history["person"].drop_duplicates())
    fig = figure(min(9.0, 1.0 + 0.26 * len(table)))
    ax = fig.add_subplot()
    values = table.to_numpy(dtype=float)
    norm = BoundaryNorm([0, 60, 80, 90, 1000], 4)
    cmap = matplotlib.colors.ListedColormap(["#f1948a", "#fad7a0", "#d6eaf8", "#abebc6"])
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    ax.tick_params(length=0)
    ax.set_facecolor("#eeeeee")
    rows, cols = np.nonzero(~np.isnan(values))
    for r, c in zip(rows, cols, strict=True):
        ax.text(c, r, f"{values[r, c]:.1f}", ha="center", va="center", fontsize=7)
    ax.set_title(title, fontsize=11)
    return fig


@_styled
def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, at the report's resolution unless ``dpi`` says otherwise."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
