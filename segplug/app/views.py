"""What the browser app shows: overlays, the legend with each class's share
of the pixels, the pixels the CRF changed, drawn instances."""
import html
import os.path as osp
from typing import List, Sequence

import cv2
import numpy as np

from ..apis.drawing import blend, save_label_png
from ..apis.infer_instances import draw_instances, kept_instances

OPACITY = 0.5
CHANGED_RGB = (255, 0, 255)


def overlay(image: np.ndarray, labels: np.ndarray, palette) -> np.ndarray:
    """``image`` (BGR) with the class colours blended in, as RGB (what the
    page shows)."""
    return blend(image, labels, palette, OPACITY)[..., ::-1]


def shares(labels: np.ndarray, classes: Sequence[str]) -> List[tuple]:
    """(class index, name, share of the pixels) of each class present,
    largest share first."""
    counts = np.bincount(labels.ravel(), minlength=len(classes))
    total = max(labels.size, 1)
    present = [(i, classes[i] if i < len(classes) else f'class {i}',
                count / total) for i, count in enumerate(counts) if count]
    return sorted(present, key=lambda row: -row[2])


def legend_html(labels: np.ndarray, classes: Sequence[str], palette,
                title: str) -> str:
    """A table of the classes present: colour, name, share of pixels."""
    rows = []
    for index, name, share in shares(labels, classes):
        r, g, b = palette[index] if index < len(palette) else (0, 0, 0)
        rows.append(
            f'<tr data-class="{index}"><td><span style="display:inline-block;'
            f'width:1em;height:1em;background:rgb({r},{g},{b});'
            'border:1px solid #000"></span></td>'
            f'<td>{html.escape(name)}</td>'
            f'<td class="share">{100 * share:.2f}%</td></tr>')
    return (f'<table class="legend"><caption>{html.escape(title)}</caption>'
            '<tr><th></th><th>class</th><th>pixels</th></tr>' + ''.join(rows) +
            '</table>')


def changed(image: np.ndarray, before: np.ndarray, after: np.ndarray) -> tuple:
    """(RGB view, number of pixels): the image in grey, dimmed, with the
    pixels whose label differs between ``before`` and ``after`` in
    magenta."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) // 2
    view = np.repeat(grey[..., None], 3, axis=2)
    mask = before != after
    view[mask] = CHANGED_RGB
    return view, int(mask.sum())


def instances(image: np.ndarray, pred, classes, palette,
              score_thr: float) -> tuple:
    """(RGB drawing, HTML table) of the instances scoring at least
    ``score_thr``: masks, boxes, class and score."""
    kept = kept_instances(pred, score_thr)
    drawn = draw_instances(image, kept, classes, palette, OPACITY)
    rows = ''.join(
        f'<tr><td>{html.escape(classes[label])}</td><td>{score:.3f}</td>'
        f'<td>{", ".join(f"{v:.0f}" for v in box)}</td></tr>'
        for box, score, label in zip(kept.boxes, kept.scores, kept.labels))
    table = ('<table class="instances"><caption>instances scoring at least '
             f'{score_thr}</caption><tr><th>class</th><th>score</th>'
             f'<th>box x1, y1, x2, y2</th></tr>{rows}</table>')
    return drawn[..., ::-1], table


def label_png(labels: np.ndarray, palette, folder: str, name: str) -> str:
    """Write ``labels`` as a palette PNG (pixel values are class indices)
    named ``name`` in ``folder``; its path."""
    path = osp.join(folder, name)
    save_label_png(labels, palette, path)
    return path
