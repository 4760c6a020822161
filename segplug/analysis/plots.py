"""Figures of a run: training curves and a confusion matrix, drawn with
matplotlib's Agg backend (no display needed) to an image file."""
import math
import os
import os.path as osp
from typing import List, Sequence

import numpy as np

from .scalars import RunScalars


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out: str) -> str:
    folder = osp.dirname(out)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(out, dpi=100)
    _pyplot().close(fig)
    return out


def plot_curves(runs: Sequence[RunScalars],
                keys: List[str],
                out: str,
                columns: int = 3) -> str:
    """Draw one panel per key, each run a line (legend: run name), against
    the iteration (the epoch for epoch-based validation); return ``out``.
    """
    plt = _pyplot()
    columns = min(columns, len(keys))
    rows = math.ceil(len(keys) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys):
        by_epoch = False
        for run in runs:
            series = run.series(key)
            if series is None:
                continue
            steps, values = series
            # validation points are few: mark each
            marker = 'o' if run.is_val(key) else None
            ax.plot(steps, values, marker=marker, markersize=3, label=run.name)
            by_epoch |= run.is_val(key) and run.val_by_epoch
        ax.set_title(key)
        ax.set_xlabel('epoch' if by_epoch else 'iteration')
        if key == 'lr' or key.endswith('.lr'):
            ax.ticklabel_format(axis='y', style='sci', scilimits=(-2, 2))
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    fig.tight_layout()
    return _save(fig, out)


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str],
                          out: str) -> str:
    """Draw the row-normalised ``matrix`` (rows ground truth, columns
    prediction) with each cell's share in per cent; return ``out``."""
    plt = _pyplot()
    n = len(class_names)
    side = max(4.0, 0.6 * n + 2)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    image = ax.imshow(matrix, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n), labels=class_names, rotation=45, ha='right')
    ax.set_yticks(range(n), labels=class_names)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    ax.set_title('confusion matrix (rows sum to 100%)')
    if n <= 30:  # beyond that the numbers no longer fit their cells
        for (i, j), share in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                f'{100 * share:.0f}',
                ha='center',
                va='center',
                fontsize=8,
                color='white' if share > 0.5 else 'black')
    fig.tight_layout()
    return _save(fig, out)
