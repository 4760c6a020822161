"""The confusion matrix of a segmentation and the per-class figures it
gives, counted as mmseg's ``IoUMetric`` counts (pixels whose ground truth is
``ignore_index`` left out)."""
from typing import List, Sequence

import numpy as np


def confusion_matrix(pred: np.ndarray,
                     gt: np.ndarray,
                     num_classes: int,
                     ignore_index: int = 255) -> np.ndarray:
    """Pixel counts, rows ground truth and columns prediction.

    Args:
        pred (np.ndarray): Predicted class indices, any shape.
        gt (np.ndarray): Ground truth of the same shape.
        num_classes (int): Number of classes.
        ignore_index (int): Ground truth value left out. Default: 255.

    Returns:
        np.ndarray: (num_classes, num_classes) int64.
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'expected pred and gt of one shape, got '
                         f'{pred.shape} and {gt.shape}')
    if num_classes < 1:
        raise ValueError(f'expected num_classes >= 1, got {num_classes}')
    pred, gt = pred.reshape(-1).astype(np.int64), gt.reshape(-1).astype(
        np.int64)
    keep = (gt != ignore_index) & (gt >= 0) & (gt
                                               < num_classes) & (pred >= 0) & (
                                                   pred < num_classes)
    counts = np.bincount(
        gt[keep] * num_classes + pred[keep], minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (as mmseg reports a class absent
    from both ground truth and prediction)."""
    num, den = num.astype(np.float64), den.astype(np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def per_class_iou(matrix: np.ndarray) -> np.ndarray:
    """Intersection over union of each class (0..1, NaN where neither ground
    truth nor prediction has it)."""
    hits = np.diag(matrix)
    return _ratio(hits, matrix.sum(0) + matrix.sum(1) - hits)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Share of each class's ground-truth pixels predicted as it (0..1,
    NaN where the ground truth has none)."""
    return _ratio(np.diag(matrix), matrix.sum(1))


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows without pixels stay 0)."""
    rows = matrix.sum(1, keepdims=True).astype(np.float64)
    return np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)


def per_class_table(matrix: np.ndarray, class_names: Sequence[str]) -> str:
    """Per-class IoU and accuracy (per cent) as a text table, with their
    means over the classes that have a value (mmseg's mIoU and mAcc)."""
    if len(class_names) != len(matrix):
        raise ValueError(f'expected {len(matrix)} class names, got '
                         f'{len(class_names)}')
    iou, acc = per_class_iou(matrix), per_class_accuracy(matrix)
    rows = [(str(n), _pct(i), _pct(a))
            for n, i, a in zip(class_names, iou, acc)]
    rows.append(
        ('mean', _pct(np.nanmean(iou) if np.isfinite(iou).any() else np.nan),
         _pct(np.nanmean(acc) if np.isfinite(acc).any() else np.nan)))
    return _format_table(('class', 'IoU', 'Acc'), rows)


def _pct(value: float) -> str:
    return 'nan' if np.isnan(value) else f'{100 * value:.2f}'


def _format_table(header: Sequence[str], rows: List[tuple]) -> str:
    widths = [
        max(len(r[c]) for r in [tuple(header)] + rows)
        for c in range(len(header))
    ]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(cells):
        first = f' {cells[0]:<{widths[0]}} '
        rest = [f' {c:>{w}} ' for c, w in zip(cells[1:], widths[1:])]
        return '|' + '|'.join([first] + rest) + '|'

    return '\n'.join([rule, line(header), rule] + [line(r)
                                                   for r in rows] + [rule])
