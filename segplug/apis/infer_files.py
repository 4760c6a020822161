"""Predicting files with a :class:`Segmenter` and writing what
``tools/infer.py`` promises: label PNGs, overlays, probabilities, videos.
"""
import os
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Iterator, List, Sequence

import cv2
import numpy as np

from ..engine.errors import ConfigError
from ..utils.progress import progress
from .drawing import overlay_in_frame, overlay_with_legend, save_label_png
from .inputs import Input
from .prediction import Segmenter
from .segment import read_image


@dataclass
class InferOptions:
    """What to write, and how many images go through the model at once."""
    out: str
    batch_size: int = 1
    opacity: float = 0.5
    save_probs: bool = False
    save_frames: bool = False


@dataclass
class Counts:
    images: int = 0
    frames: int = 0
    skipped: int = 0

    def summary(self, out: str) -> str:
        frames = f' and {self.frames} video frames' if self.frames else ''
        return (f'predicted {self.images} images{frames}, skipped '
                f'{self.skipped}; results in {out}')


def _chunks(items: Sequence, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def read_batch(batch: List[Input], counts: Counts) -> list:
    loaded = []
    for item in batch:
        try:
            loaded.append((item, read_image(item.path)))
        except (OSError, ValueError) as err:
            print(f'warning: skipped {item.path}: {err}', file=sys.stderr)
            counts.skipped += 1
    return loaded


def write_image_results(segmenter: Segmenter, item: Input, image: np.ndarray,
                        prediction, opts: InferOptions) -> None:
    """``labels/<name>.png``, ``overlays/<name>.png`` and with
    ``save_probs`` ``probs/<name>.npy`` under ``opts.out``."""
    save_label_png(prediction.labels, segmenter.palette,
                   osp.join(opts.out, 'labels', item.name + '.png'))
    overlay = overlay_with_legend(image, prediction.labels, segmenter.classes,
                                  segmenter.palette, opts.opacity)
    imwrite(osp.join(opts.out, 'overlays', item.name + '.png'), overlay)
    if opts.save_probs:
        path = osp.join(opts.out, 'probs', item.name + '.npy')
        os.makedirs(osp.dirname(path), exist_ok=True)
        np.save(path, prediction.probs.astype(np.float32))


def imwrite(path: str, image: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, image):
        raise OSError(f'cannot write {path}')


def predict_images(segmenter: Segmenter, items: List[Input],
                   opts: InferOptions, counts: Counts) -> None:
    """Predict ``items`` ``opts.batch_size`` at a time; an unreadable one
    is skipped with a warning naming it."""
    batches = list(_chunks(items, opts.batch_size))
    for batch in progress(batches, desc=f'predicting {len(items)} images'):
        loaded = read_batch(batch, counts)
        if not loaded:
            continue
        predictions = segmenter.predict([img for _, img in loaded],
                                        with_probs=opts.save_probs)
        for (item, image), prediction in zip(loaded, predictions):
            write_image_results(segmenter, item, image, prediction, opts)
            counts.images += 1


def _frames(capture, size: int) -> Iterator[list]:
    batch = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def predict_video(segmenter: Segmenter, item: Input, opts: InferOptions,
                  counts: Counts) -> None:
    """``<out>/<stem>_overlay.mp4`` (same frame count, size and fps) and
    with ``save_frames`` ``labels/<stem>/<frame:06d>.png``."""
    capture = cv2.VideoCapture(item.path)
    if not capture.isOpened():
        print(
            f'warning: skipped {item.path}: not a readable video',
            file=sys.stderr)
        counts.skipped += 1
        return
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    path = osp.join(opts.out, item.name + '_overlay.mp4')
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    index = 0
    try:
        batches = _frames(capture, opts.batch_size)
        for frames in progress(
                batches,
                total=-(-total // opts.batch_size) if total > 0 else None,
                desc=f'predicting {item.path}'):
            for frame, prediction in zip(frames, segmenter.predict(frames)):
                writer.write(
                    overlay_in_frame(frame, prediction.labels,
                                     segmenter.classes, segmenter.palette,
                                     opts.opacity))
                if opts.save_frames:
                    save_label_png(
                        prediction.labels, segmenter.palette,
                        osp.join(opts.out, 'labels', item.name,
                                 f'{index:06d}.png'))
                index += 1
    finally:
        capture.release()
        writer.release()
    counts.frames += index


def infer_files(segmenter: Segmenter, items: List[Input],
                opts: InferOptions) -> Counts:
    """Predict every image and video of ``items``; the counts of what was
    predicted and skipped."""
    if opts.batch_size < 1:
        raise ConfigError(
            f'--batch-size: expected an int >= 1, got {opts.batch_size}')
    counts = Counts()
    predict_images(segmenter, [i for i in items if not i.is_video], opts,
                   counts)
    for item in items:
        if item.is_video:
            predict_video(segmenter, item, opts, counts)
    return counts
