"""The journey figure: how issues move across channels (first and repeat contacts) and
contacts across agent groups (transfers), as heatmaps of counts. Needs per-contact
records."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from simcc.report.figures.style import heatmap_cmap, new_figure, plain, require_columns

_CONTACT_COLUMNS = ("replication", "issue_id", "contact_id", "channel", "arrival_s")
_LEG_COLUMNS = ("replication", "contact_id", "leg", "group", "answered_s")


def _levels(values: pd.Series) -> list[str]:
    """Distinct values as strings: category order (those present) for a categorical
    column, else sorted."""
    present = set(values.astype(str))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories if str(c) in present]
    return sorted(present)


def _transitions(frame: pd.DataFrame, by: Sequence[str], order: Sequence[str],
                 column: str, levels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``column`` values at the start of each ``by`` group (vector over
    ``levels``) and of consecutive pairs within a group (matrix from x to), rows sorted
    by ``by`` then ``order``."""
    frame = frame.sort_values([*by, *order], kind="stable")
    code = pd.Categorical(frame[column].astype(str), categories=levels).codes
    keys = frame[list(by)].to_numpy()
    same = np.zeros(len(frame), dtype=bool)
    if len(frame) > 1:
        same[1:] = np.all(keys[1:] == keys[:-1], axis=1)
    n = len(levels)
    first = np.bincount(code[~same], minlength=n)
    after = np.flatnonzero(same)
    pairs = np.bincount(code[after - 1] * n + code[after], minlength=n * n).reshape(n, n)
    return first, pairs


def _count_heatmap(ax: Axes, counts: np.ndarray, rows: Sequence[str],
                   cols: Sequence[str]) -> None:
    """``counts`` as a heatmap (log color scale, zero cells blank) with every count
    printed in its cell."""
    cmap = heatmap_cmap()
    vmax = max(float(counts.max(initial=0)), 2.0)
    norm = LogNorm(vmin=1.0, vmax=vmax)
    ax.imshow(np.ma.masked_less(counts.astype(float), 1.0), cmap=cmap, norm=norm,
              aspect="auto", interpolation="nearest")
    fontsize = 10 if counts.size <= 36 else 8
    for (row, col), value in np.ndenumerate(counts):
        dark = value >= 1 and norm(value) < 0.6
        ax.text(col, row, f"{value:,}", ha="center", va="center", fontsize=fontsize,
                color="white" if dark else ("black" if value else "0.6"))
    ax.set_xticks(range(len(cols)), [plain(c) for c in cols])
    if max(map(len, cols), default=0) * len(cols) > 45:  # long names would overlap
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_yticks(range(len(rows)), [plain(r) for r in rows])
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(True, which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)


def journey_figure(contacts: pd.DataFrame, legs: pd.DataFrame | None = None,
                   note: str | None = None) -> Figure:
    """How issues move across channels, and contacts across agent groups.

    Left panel, channel journeys: the contacts of an issue (same replication and
    ``issue_id``; later ones are repeat contacts) in order of arrival. Rows = channel
    of a contact ("from"), columns = channel of the issue's next contact ("to"); the
    extra top row "first contact" counts the issues starting on each channel. Every
    contact of ``contacts`` counts, answered or not (filter the rows to count only,
    e.g., the counted period).

    Right panel (when ``legs`` is given), transfers: rows = agent group of a leg,
    columns = group of the next leg of the same contact. Without any transfer the
    panel only shows the note "no transfers in these records".

    Cells show counts summed over replications (log color scale; zero cells blank).
    Channels and groups are in category order for categorical columns, else sorted.

    Parameters
    ----------
    contacts : pandas.DataFrame
        Columns ``replication``, ``contact_id``, ``issue_id``, ``channel``,
        ``arrival_s`` (e.g. ``result.contacts``).
    legs : pandas.DataFrame, optional
        Columns ``replication``, ``contact_id``, ``leg``, ``group``, ``answered_s``
        (e.g. ``result.legs``).
    note : str, optional
        A second title line (e.g. which sample the records are).

    Returns
    -------
    Figure
        One axes (channels) or two (channels, transfers). The channel image array has
        shape ``(1 + n_channels, n_channels)``: row 0 "first contact", then one row per
        "from" channel; the transfer image array is ``n_groups x n_groups``. Zero
        cells are masked in the arrays; every cell's count is also a text annotation.

    Raises
    ------
    ValueError
        If ``contacts`` is empty or a column is missing from ``contacts`` or ``legs``.
    """
    require_columns(contacts, _CONTACT_COLUMNS, "contacts")
    if contacts.empty:
        raise ValueError("contacts is empty: simulate with records='all'")
    if legs is not None:
        require_columns(legs, _LEG_COLUMNS, "legs")
    channels = _levels(contacts["channel"])
    first, pairs = _transitions(contacts, ("replication", "issue_id"),
                                ("arrival_s", "contact_id"), "channel", channels)
    matrix = np.vstack([first, pairs])
    n_ch = len(channels)
    n_groups = 0 if legs is None else len(_levels(legs["group"]))
    size = max(n_ch, n_groups)
    fig, axes = new_figure(1, 1 if legs is None else 2, squeeze=False,
                           height=max(3.8, 1.8 + 0.5 * (size + 1)))
    ax = axes[0, 0]
    _count_heatmap(ax, matrix, ["first contact", *channels], channels)
    ax.axhline(0.5, color="black", lw=2)  # first contacts | transitions
    ax.set_xlabel("to: channel of the issue's next (or first) contact")
    ax.set_ylabel("from: channel of the previous contact")
    repeats = int(pairs.sum())
    ax.set_title(f"channel journeys: {int(first.sum()):,} issues, {repeats:,} repeat "
                 "contacts", fontsize=10)
    if legs is not None:
        _transfer_panel(axes[0, 1], legs)
    n_rep = contacts["replication"].nunique()
    fig.suptitle(f"customer journeys (counts summed over {n_rep} "
                 f"replication{'s' if n_rep != 1 else ''})"
                 + (f"\n{plain(note)}" if note else ""))
    return fig


def _transfer_panel(ax: Axes, legs: pd.DataFrame) -> None:
    """Counts of moves from the agent group of a leg to that of the contact's next leg
    (a note instead when there is none)."""
    groups = _levels(legs["group"])
    _, moves = _transitions(legs, ("replication", "contact_id"), ("leg", "answered_s"),
                            "group", groups)
    n_moves = int(moves.sum())
    if n_moves:
        _count_heatmap(ax, moves, groups, groups)
        ax.set_xlabel("to: agent group of the next leg")
        ax.set_ylabel("from: agent group of the leg")
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no transfers in these records", ha="center", va="center",
                transform=ax.transAxes, fontsize=11, color="0.35")
    ax.set_title(f"transfers between agent groups: {n_moves:,}", fontsize=10)
