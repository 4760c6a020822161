"""``tools/infer.py`` for mmdet configs: instances drawn on each image and
all of them in one COCO-style results file."""
import json
import os
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np

from ..engine.config_types import is_detection
from ..utils.progress import progress
from .drawing import blend
from .infer_files import Counts, InferOptions, imwrite, read_batch
from .inputs import Input
from .pytorch_detector import InstancePrediction, PytorchDetector


def is_detection_config(cfg) -> bool:
    """Whether ``cfg`` is an mmdet config (its ``default_scope``)."""
    return is_detection(cfg)


def draw_instances(image: np.ndarray, pred: InstancePrediction, classes,
                   palette, opacity: float) -> np.ndarray:
    """Masks blended in their class colours, boxes, and 'class score'."""
    out = image.copy()
    if pred.masks is not None:
        for mask, label in zip(pred.masks, pred.labels):
            # one instance at a time: overlapping ones keep the later
            labels = mask.astype(np.int64)
            out = blend(out, labels, [[0, 0, 0], palette[label]], opacity)
    for box, score, label in zip(pred.boxes, pred.scores, pred.labels):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        colour = tuple(int(c) for c in palette[label][::-1])
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 1)
        cv2.putText(out, f'{classes[label]} {score:.2f}', (x1, max(y1 - 2, 8)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.3, colour, 1, cv2.LINE_AA)
    return out


def category_ids(cfg, classes) -> Tuple[List[int], str]:
    """The COCO category id of each class index, as mmdet's CocoDataset and
    CocoMetric pair them (the annotation file's categories named in
    ``classes``, in the file's order), from the annotation file of the
    config's test (else val) dataset; index + 1 where that file is not
    here. (ids, where they came from)."""
    for loader in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        ann_file = dataset.get('ann_file')
        if not ann_file:
            continue
        path = osp.join(dataset.get('data_root') or '', ann_file)
        if not osp.isfile(path):
            continue
        with open(path) as f:
            categories = json.load(f).get('categories') or []
        by_name = [c['id'] for c in categories if c.get('name') in classes]
        if len(by_name) == len(classes):
            return by_name, path
    return [k + 1 for k in range(len(classes))], ''


def coco_results(item: Input,
                 pred: InstancePrediction,
                 classes,
                 ids: Optional[List[int]] = None) -> list:
    """One COCO result dict per instance; ``category_id`` is ``ids[label]``
    (:func:`category_ids`; COCO's 1-based index + 1 without them)."""
    from pycocotools import mask as mask_util
    results = []
    for k, (box, score,
            label) in enumerate(zip(pred.boxes, pred.scores, pred.labels)):
        x1, y1, x2, y2 = (float(v) for v in box)
        entry = dict(
            image_file=item.path,
            category_id=int(ids[label]) if ids else int(label) + 1,
            category_name=classes[label],
            bbox=[x1, y1, x2 - x1, y2 - y1],
            score=float(score))
        if pred.masks is not None:
            rle = mask_util.encode(
                np.asfortranarray(pred.masks[k].astype(np.uint8)))
            rle['counts'] = rle['counts'].decode('ascii')
            entry['segmentation'] = rle
        results.append(entry)
    return results


def kept_instances(pred: InstancePrediction,
                   score_thr: float) -> InstancePrediction:
    """The instances of ``pred`` scoring at least ``score_thr``."""
    keep = pred.scores >= score_thr
    return InstancePrediction(pred.boxes[keep], pred.scores[keep],
                              pred.labels[keep],
                              None if pred.masks is None else pred.masks[keep])


def infer_instances(cfg, checkpoint: str, items: List[Input],
                    opts: InferOptions, device: str,
                    score_thr: float) -> Counts:
    """Predict the images of ``items`` with an mmdet model: overlays under
    ``overlays/`` and ``results.json``; videos are skipped."""
    detector = PytorchDetector(cfg, checkpoint, device)
    ids, source = category_ids(detector.cfg, detector.classes)
    print(f'category ids: those of {source}' if source else
          'category ids: class index + 1 (no annotation file of the config '
          'is here to give the dataset\'s own)')
    counts, results = Counts(), []
    images = [i for i in items if not i.is_video]
    for item in items:
        if item.is_video:
            print(f'warning: skipped {item.path}: mmdet configs predict '
                  'images only')
            counts.skipped += 1
    for item in progress(images, desc=f'predicting {len(images)} images'):
        for loaded, image in read_batch([item], counts):
            pred = kept_instances(detector.predict([image])[0], score_thr)
            results += coco_results(loaded, pred, detector.classes, ids)
            imwrite(
                osp.join(opts.out, 'overlays', loaded.name + '.png'),
                draw_instances(image, pred, detector.classes, detector.palette,
                               opts.opacity))
            counts.images += 1
    os.makedirs(opts.out, exist_ok=True)
    with open(osp.join(opts.out, 'results.json'), 'w') as f:
        json.dump(results, f)
    return counts
