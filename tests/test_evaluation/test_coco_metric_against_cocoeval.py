"""mmdet's CocoMetric, as segplug's Mask R-CNN configs use it, reports the
numbers pycocotools' COCOeval gives when run directly on the same ground
truth and the results json the metric writes."""
import json

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from mmdet.evaluation import CocoMetric
from pycocotools.coco import COCO

import segplug  # noqa: F401
from segplug.data_preparation import generate_shapes
from ..utils import COCO_KEYS as KEYS
from ..utils import cocoeval_stats

CLASSES = ('circle', 'square', 'triangle', 'star')


def _masks_of(coco, img_id, h, w):
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))
    return anns, [coco.annToMask(a).astype(bool) for a in anns]


def _predictions(coco, rng):
    """Per image: each object found with a jittered box, an eroded or
    shifted mask and a random score, sometimes the wrong class; plus false
    positives. Enough misses and errors that AP is far from 0 and 1."""
    samples = []
    for img in coco.loadImgs(coco.getImgIds()):
        h, w = img['height'], img['width']
        anns, masks = _masks_of(coco, img['id'], h, w)
        boxes, scores, labels, pred_masks = [], [], [], []
        for ann, mask in zip(anns, masks):
            if rng.random() < 0.15:
                continue  # missed
            x, y, bw, bh = ann['bbox']
            jitter = rng.normal(0, 0.08, 4) * [bw, bh, bw, bh]
            boxes.append([x, y, x + bw, y + bh] + jitter)
            shift = rng.integers(-3, 4, 2)
            pred_masks.append(np.roll(mask, tuple(shift), (0, 1)))
            label = ann['category_id'] - 1
            if rng.random() < 0.1:
                label = (label + 1) % len(CLASSES)
            labels.append(label)
            scores.append(rng.uniform(0.3, 1.0))
        for _ in range(rng.integers(0, 3)):  # false positives
            x, y = rng.uniform(0, w - 20), rng.uniform(0, h - 20)
            boxes.append([x, y, x + 20, y + 20])
            fp = np.zeros((h, w), bool)
            fp[int(y):int(y) + 20, int(x):int(x) + 20] = True
            pred_masks.append(fp)
            labels.append(int(rng.integers(0, len(CLASSES))))
            scores.append(rng.uniform(0.0, 0.6))
        n = len(boxes)
        samples.append(
            dict(
                img_id=img['id'],
                ori_shape=(h, w),
                pred_instances=dict(
                    bboxes=torch.tensor(
                        np.array(boxes).reshape(n, 4), dtype=torch.float32),
                    scores=torch.tensor(scores, dtype=torch.float32),
                    labels=torch.tensor(labels, dtype=torch.long),
                    masks=torch.from_numpy(
                        np.array(pred_masks).reshape(n, h, w)))))
    return samples


def test_coco_metric_equals_cocoeval_on_its_results_json(tmp_path):
    generate_shapes(str(tmp_path / 'shapes'), num_train=0, num_val=30)
    gt_file = str(tmp_path / 'shapes' / 'annotations' / 'instances_val.json')
    gt = COCO(gt_file)
    samples = _predictions(gt, np.random.default_rng(0))

    metric = CocoMetric(
        ann_file=gt_file,
        metric=['bbox', 'segm'],
        outfile_prefix=str(tmp_path / 'results'))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    ours = metric.evaluate(len(samples))

    for iou_type in ('bbox', 'segm'):
        # segm: CocoMetric drops the boxes from the results so that
        # COCOeval sizes the detections by mask area, not box area
        stats = cocoeval_stats(
            gt,
            str(tmp_path / f'results.{iou_type}.json'),
            iou_type,
            drop_boxes=iou_type == 'segm')
        assert 0.2 < stats[0] < 0.9, stats  # neither trivial nor perfect
        for i, key in enumerate(KEYS):
            # CocoMetric rounds to 3 decimals
            assert ours[f'coco/{iou_type}_{key}'] == pytest.approx(
                round(float(stats[i]), 3), abs=1e-9), (iou_type, key)
    # run on the file as written (boxes kept), COCOeval sizes detections
    # by box: AP, AP50 and AP75 are the same, the size buckets may differ
    as_written = cocoeval_stats(gt, str(tmp_path / 'results.segm.json'),
                                'segm')
    for i, key in enumerate(KEYS[:3]):
        assert ours[f'coco/segm_{key}'] == pytest.approx(
            round(float(as_written[i]), 3), abs=1e-9), key

    # the masks in the json are the predicted ones, RLE-encoded
    with open(tmp_path / 'results.segm.json') as f:
        first = json.load(f)[0]
    decoded = mask_util.decode(first['segmentation']).astype(bool)
    sample = next(s for s in samples if s['img_id'] == first['image_id'])
    assert any(
        np.array_equal(decoded, m.numpy())
        for m in sample['pred_instances']['masks'])
