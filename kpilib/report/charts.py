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
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from kpilib.errors import KpiError, Problem
from kpilib.i18n import N_, _

if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager

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
                _("找不到中文字体（找过 {paths}）").format(paths=", ".join(candidates)),
                _(
                    "安装一个：sudo apt-get install fonts-wqy-microhei（或运行 bash setup.sh），"
                    "或把 KPILIB_CJK_FONT 设为含中文字形的 .ttf/.otf/.ttc 字体文件"
                ),
                code="no_cjk_font",
            )
        )
    font_manager.fontManager.addfont(str(found))
    return font_manager.FontProperties(fname=str(found)).get_name()


def styled() -> AbstractContextManager:
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
    """An empty report-width figure; add to it inside :func:`styled`.

    No constrained layout: each chart sets fixed margins from its labels' lengths
    (:func:`margins`), which looks the same and draws in about two thirds of the time.
    """
    return Figure(figsize=(PAGE_WIDTH, height), dpi=DPI)


def text_inches(labels: Iterable[str], fontsize: float) -> float:
    """About how wide the longest label is, in inches: a Chinese character is one em,
    a Latin letter or digit about 0.6 em."""
    ems = [sum(1.0 if ord(ch) > 0x2E7F else 0.62 for ch in str(label)) for label in labels]
    return max(ems, default=0) * fontsize / 72


def margins(
    fig: Figure, left: float = 0.4, right: float = 0.15, top: float = 0.35, bottom: float = 0.4
) -> None:
    """Fixed margins in inches around the figure's axes."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
    )


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
def completion_heatmap(items: pd.DataFrame, title: str = N_("各人各项指标完成率")) -> Figure:
    """Heatmap of :func:`completion_matrix`: indicators down, people across.

    Colour runs red (0%) through amber (60%) and white (100%) to green (120%+);
    each cell shows its percentage.
    """
    matrix = completion_matrix(items).T
    left = text_inches(matrix.index, 7) + 0.25
    people = text_inches(matrix.columns, 8)
    # names read across while each fits its column (a few people), else they turn upright
    across = people + 0.1 <= (PAGE_WIDTH - left - 0.75) / max(matrix.shape[1], 1)
    below = 8 / 72 * 1.6 if across else people
    height = min(9.5, 0.5 + below + 0.22 * len(matrix))
    fig = figure(height)
    margins(fig, left=left, right=0.75, bottom=below + 0.1)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=COMPLETION_CMAP, vmin=0, vmax=1.2, aspect="auto"
    )
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=0 if across else 90, fontsize=8)
    ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=7)
    ax.tick_params(length=0)
    ax.set_facecolor("#eeeeee")
    rows, cols = np.nonzero(~np.isnan(values))
    for r, c in zip(rows, cols, strict=True):  # one label per filled cell: a few dozen
        ax.text(c, r, f"{values[r, c] * 100:.0f}", ha="center", va="center", fontsize=5.5)
    ax.set_title(_(title) if title else title, fontsize=11)
    box = ax.get_position()
    bar = fig.colorbar(
        image, cax=fig.add_axes((box.x1 + 0.1 / PAGE_WIDTH, box.y0, 0.12 / PAGE_WIDTH, box.height))
    )
    bar.set_ticks([0, 0.6, 1.0, 1.2], labels=["0%", "60%", "100%", "120%"], fontsize=7)
    return fig


@_styled
def score_distribution(
    people: pd.DataFrame, grades: list, title: str = N_("总分分布"), scale: float = 100
) -> Figure:
    """Histogram of totals with the plan's grade bands shaded and named.

    ``grades`` is ``plan.grades`` (highest first, each with ``name`` and ``min``);
    ``scale`` the plan's full score (procurement's is 300): bins are a twentieth of it.
    """
    totals = people.loc[people["valid"].astype(bool), "total"].astype(float)
    fig = figure(2.8)
    margins(fig, left=0.55, top=0.55, bottom=0.5)
    ax = fig.add_subplot()
    step = scale / 20
    top = max(totals.max() if len(totals) else scale, scale) + step
    edges = np.arange(0, top + step, step)
    ax.hist(totals, bins=edges, color="#2e86c1", edgecolor="white")
    mins = [g.min for g in grades[:-1]]
    bounds = [top, *mins, 0]
    shades = ["#e8f8f5", "#fef9e7"]
    low = totals.min() if len(totals) else 0
    left = max(0, min(low - 2 * step, (mins[-1] if mins else 0) - 2 * step))
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
    ax.set_xlabel(_("总分"))
    ax.set_ylabel(_("人数"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(_(title) if title else title, fontsize=11, pad=14)
    return fig


def grade_colours(grades: list) -> dict[str, str]:
    """One colour per grade of the plan, best green through worst red, whatever the scale."""
    palette = LinearSegmentedColormap.from_list(
        "grades", ["#abebc6", "#d6eaf8", "#fad7a0", "#f1948a"]
    )
    names = [g.name for g in grades]
    spots = np.linspace(0, 1, len(names)) if len(names) > 1 else [0.0]
    return {n: matplotlib.colors.to_hex(palette(x)) for n, x in zip(names, spots, strict=True)}


@_styled
def trend_heatmap(
    history: pd.DataFrame, grades: list | None, title: str = N_("每月总分")
) -> Figure:
    """People down, months across, each cell the month's total, coloured by its grade.

    ``history`` has columns person, month, total, grade and valid (``MonthReport.history``);
    ``grades`` is ``plan.grades``: a 300-point plan's 199 is coloured as its own 合格.
    A voided month (``valid`` False) is grey and hatched and reads 无效; a month under
    a grade the plan does not have (不参加) is grey with that grade.
    """
    table = history.pivot(index="person", columns="month", values="total")
    order = history["person"].drop_duplicates()
    table = table.reindex(order)
    grade = history.pivot(index="person", columns="month", values="grade").reindex(
        index=order, columns=table.columns
    )
    valid = (
        history.pivot(index="person", columns="month", values="valid")
        .reindex(index=order, columns=table.columns)
        .astype("boolean")
        .fillna(True)
        .to_numpy(bool)
    )
    colours = grade_colours(grades)
    fig = figure(min(9.0, 1.1 + 0.26 * len(table)))
    margins(fig, left=text_inches(table.index, 8) + 0.2, top=0.35, bottom=0.6)
    ax = fig.add_subplot()
    values = table.to_numpy(dtype=float)
    names = grade.to_numpy(object)
    rgb = np.ones((*values.shape, 3))
    known = np.zeros(values.shape, bool)
    for name, colour in colours.items():  # a handful of grades
        hit = (names == name) & valid
        rgb[hit] = matplotlib.colors.to_rgb(colour)
        known |= hit
    filled = ~np.isnan(values)
    rgb[filled & ~known] = matplotlib.colors.to_rgb("#d5d8dc")
    ax.imshow(rgb, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    ax.tick_params(length=0)
    void = filled & ~valid
    for r, c in zip(*np.nonzero(void), strict=True):  # voided months are few
        ax.add_patch(
            matplotlib.patches.Rectangle(
                (c - 0.5, r - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#909497", lw=0
            )
        )
    rows, cols = np.nonzero(filled)
    for r, c in zip(rows, cols, strict=True):
        label = _("无效") if void[r, c] else f"{values[r, c]:.2f}"
        if not void[r, c] and not known[r, c]:
            label = str(names[r, c])
        # a voided month's word sits on a plain patch so the hatching does not cross it
        box = {"facecolor": "#d5d8dc", "edgecolor": "none", "pad": 1} if void[r, c] else None
        ax.text(c, r, label, ha="center", va="center", fontsize=7, bbox=box)
    ax.set_title(_(title) if title else title, fontsize=11)
    bands = [f"{g.name} ≥{g.min:g}" for g in grades[:-1]] + [f"{grades[-1].name}"]
    handles = [
        matplotlib.patches.Patch(facecolor=colours[g.name], label=b)
        for g, b in zip(grades, bands, strict=True)
    ]
    if void.any():
        handles.append(
            matplotlib.patches.Patch(
                facecolor="#d5d8dc", hatch="///", edgecolor="#909497", label=_("无效（原因见图下）")
            )
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        fontsize=7.5,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    return fig


@_styled
def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, at the report's resolution unless ``dpi`` says otherwise."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
