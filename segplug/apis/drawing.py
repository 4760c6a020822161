"""Drawing and writing predictions: palette PNGs, colour overlays with a
legend of the classes present."""
import os
import os.path as osp
from typing import List, Sequence

import cv2
import numpy as np
from PIL import Image

_ROW = 14  # legend row height (px)
_FONT, _SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.4
_BACKGROUND = 0  # the class left unblended


def save_label_png(labels: np.ndarray, palette: List[List[int]],
                   path: str) -> None:
    """Write ``labels`` (H, W) as a palette PNG: pixel values are class
    indices, shown in the class colours (16-bit grey for > 256 classes).
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    if len(palette) > 256:
        cv2.imwrite(path, labels.astype(np.uint16))
        return
    png = Image.fromarray(labels.astype(np.uint8), mode='P')
    png.putpalette([v for colour in palette for v in colour])
    png.save(path)


def blend(image: np.ndarray, labels: np.ndarray, palette: List[List[int]],
          opacity: float) -> np.ndarray:
    """``image`` (BGR uint8) with each pixel of a class other than the
    background (class 0) mixed with its colour:
    ``round((1 - opacity) * pixel + opacity * colour)``; background pixels
    stay as they are."""
    if not 0 <= opacity <= 1:
        raise ValueError(f'opacity: expected 0..1, got {opacity}')
    colours = np.asarray(palette, dtype=np.float32)[:, ::-1]  # to BGR
    mixed = (1 - opacity) * image.astype(
        np.float32) + opacity * colours[labels]
    out = image.copy()
    mask = labels != _BACKGROUND
    out[mask] = np.round(mixed[mask]).clip(0, 255).astype(np.uint8)
    return out


def legend_size(names: Sequence[str]) -> tuple:
    """(height, width) of the legend of ``names``."""
    width = max([cv2.getTextSize(n, _FONT, _SCALE, 1)[0][0] for n in names]
                or [0])
    return _ROW * len(names) + 2, width + _ROW + 6


def draw_legend(canvas: np.ndarray, entries, top: int, left: int) -> None:
    """One row per (name, RGB colour) of ``entries`` on ``canvas``, from
    (top, left): a colour swatch and the name."""
    for row, (name, colour) in enumerate(entries):
        y = top + 1 + row * _ROW
        bgr = tuple(int(c) for c in colour[::-1])
        cv2.rectangle(canvas, (left + 2, y + 2),
                      (left + _ROW - 2, y + _ROW - 2), bgr, -1)
        cv2.rectangle(canvas, (left + 2, y + 2),
                      (left + _ROW - 2, y + _ROW - 2), (0, 0, 0), 1)
        cv2.putText(canvas, name, (left + _ROW + 2, y + _ROW - 3), _FONT,
                    _SCALE, (0, 0, 0), 1, cv2.LINE_AA)


def present(labels: np.ndarray, classes: Sequence[str],
            palette: List[List[int]]) -> list:
    """(name, colour) of each class in ``labels``, index order."""
    return [(classes[i], palette[i]) for i in np.unique(labels)
            if i < len(classes)]


def overlay_with_legend(image: np.ndarray, labels: np.ndarray,
                        classes: Sequence[str], palette: List[List[int]],
                        opacity: float) -> np.ndarray:
    """The blended image at the top left of a white canvas, the legend of
    the classes present in a band below it (the canvas is widened where
    the legend needs it): the image area is :func:`blend` exactly."""
    entries = present(labels, classes, palette)
    h, w = image.shape[:2]
    lh, lw = legend_size([n for n, _ in entries])
    canvas = np.full((h + lh, max(w, lw), 3), 255, np.uint8)
    canvas[:h, :w] = blend(image, labels, palette, opacity)
    draw_legend(canvas, entries, h, 0)
    return canvas


def overlay_in_frame(frame: np.ndarray, labels: np.ndarray,
                     classes: Sequence[str], palette: List[List[int]],
                     opacity: float) -> np.ndarray:
    """A video frame blended, the legend inside it at the top left on a
    white box (a video keeps its frame size)."""
    out = blend(frame, labels, palette, opacity)
    entries = present(labels, classes, palette)
    if entries:
        lh, lw = legend_size([n for n, _ in entries])
        lh, lw = min(lh, out.shape[0]), min(lw, out.shape[1])
        out[:lh, :lw] = 255
        draw_legend(out, entries, 0, 0)
    return out
