import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS

import segplug.evaluation  # noqa: F401  (registers the metric)
from segplug.evaluation import TrimapIoUMetric, trimap_band

CLASSES = ('background', 'object')


def split_map(height=8, width=10, split=5):
    """Class 0 left of column ``split``, class 1 from it on."""
    gt = np.zeros((height, width), dtype=np.int64)
    gt[:, split:] = 1
    return gt


def brute_force_band(gt, width):
    """The band by definition: loops for the boundary, all pairs for the
    distance."""
    height, wide = gt.shape
    boundary = []
    for y in range(height):
        for x in range(wide):
            for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                ny, nx = y + dy, x + dx
                if 0 <= ny < height and 0 <= nx < wide and \
                        gt[ny, nx] != gt[y, x]:
                    boundary.append((y, x))
                    break
    band = np.zeros(gt.shape, dtype=bool)
    for y in range(height):
        for x in range(wide):
            band[y, x] = any(
                (y - by)**2 + (x - bx)**2 <= width**2 for by, bx in boundary)
    return band


def sample(pred, gt):
    return dict(
        pred_sem_seg=dict(data=torch.as_tensor(pred)[None]),
        gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))


def run_metric(samples, widths=(1, 3), classes=CLASSES, **kwargs):
    metric = TrimapIoUMetric(widths=widths, **kwargs)
    metric.dataset_meta = {'classes': classes}
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def plain_miou(pred, gt, classes=CLASSES):
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = {'classes': classes}
    metric.process({}, [sample(pred, gt)])
    return float(metric.evaluate(1)['mIoU'])


def test_band_of_two_regions_width_0_and_1():
    gt = split_map()
    expected0 = np.zeros(gt.shape, dtype=bool)
    expected0[:, 4:6] = True
    expected1 = np.zeros(gt.shape, dtype=bool)
    expected1[:, 3:7] = True
    np.testing.assert_array_equal(trimap_band(gt, 0), expected0)
    np.testing.assert_array_equal(trimap_band(gt, 1), expected1)


def test_band_matches_brute_force_on_a_disk():
    yy, xx = np.mgrid[:15, :17]
    gt = ((yy - 7)**2 + (xx - 8)**2 <= 20).astype(np.int64)
    gt[0, :3] = 2  # a second object touching the image border
    for width in range(4):
        np.testing.assert_array_equal(
            trimap_band(gt, width), brute_force_band(gt, width))


def test_band_grows_with_width():
    yy, xx = np.mgrid[:40, :45]
    gt = ((yy - 20)**2 + (xx - 22)**2 <= 64).astype(np.int64)
    sizes, previous = [], None
    for width in range(12):
        band = trimap_band(gt, width)
        if previous is not None:
            assert np.all(band[previous])
        sizes.append(int(band.sum()))
        previous = band
    assert all(a < b for a, b in zip(sizes, sizes[1:]))
    assert sizes[-1] < gt.size


def test_uniform_map_has_empty_band_and_nan_scores():
    gt = np.ones((9, 11), dtype=np.int64)
    assert not trimap_band(gt, 0).any()
    assert not trimap_band(gt, 100).any()
    metrics = run_metric([sample(gt, gt)], widths=(1, 4))
    assert set(metrics) == {'trimap1_mIoU', 'trimap4_mIoU'}
    assert all(math.isnan(value) for value in metrics.values())


def test_band_excludes_ignore_pixels_but_keeps_their_outline():
    gt = split_map()
    gt[:, 5] = 255  # a VOC-like void outline between the two regions
    band = trimap_band(gt, 0)
    assert not band[:, 5].any()
    assert band[:, 4].all() and band[:, 6].all()
    assert band.sum() == 2 * gt.shape[0]
    # ignore_index is a parameter: with another value, 255 is a class
    assert trimap_band(gt, 0, ignore_index=-1)[:, 5].all()


def test_perfect_prediction_scores_100_at_every_width():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 3, size=(6, 7)).repeat(4, 0).repeat(4, 1)
    widths = (0, 1, 2, 4, 8, 32)
    metrics = run_metric([sample(gt, gt)],
                         widths=widths,
                         classes=('a', 'b', 'c'))
    assert metrics == {f'trimap{w}_mIoU': 100.0 for w in widths}


def test_boundary_error_hurts_small_widths_most():
    yy, xx = np.mgrid[:48, :48]
    gt = ((yy - 24)**2 + (xx - 24)**2 <= 144).astype(np.int64)
    grown = ((yy - 24)**2 + (xx - 24)**2 <= 196).astype(np.int64)
    widths = (1, 2, 4, 8, 16, 32)
    metrics = run_metric([sample(grown, gt)], widths=widths)
    scores = [metrics[f'trimap{w}_mIoU'] for w in widths]
    assert all(a < b for a, b in zip(scores, scores[1:]))
    plain = plain_miou(grown, gt)
    assert scores[0] < plain - 20
    # the widest band covers the whole image: the plain mIoU again
    assert scores[-1] == pytest.approx(plain, abs=0.01)


def test_ignore_pixels_are_not_evaluated():
    gt = split_map()
    gt[:, 5] = 255
    pred = split_map()
    pred[:, 5] = 0  # wrong under any label but 255, which is ignored
    metrics = run_metric([sample(pred, gt)], widths=(0, 1, 3))
    assert metrics == {
        'trimap0_mIoU': 100.0,
        'trimap1_mIoU': 100.0,
        'trimap3_mIoU': 100.0
    }


def test_registry_metric_gives_hand_computed_scores():
    metric = METRICS.build(dict(type='TrimapIoUMetric', widths=(1, 3)))
    metric.dataset_meta = {'classes': CLASSES}
    gt = split_map()
    pred = split_map()
    pred[:, 5] = 0  # the object lost its first column
    metric.process({}, [sample(pred, gt)])
    # width 1, columns 3..6: IoU 2/3 (class 0) and 1/2 (class 1);
    # width 3, columns 1..8: 4/5 and 3/4
    assert metric.evaluate(1) == {'trimap1_mIoU': 58.33, 'trimap3_mIoU': 77.5}
    # areas add up over samples: a perfect second image on the same map
    metric.process({}, [sample(pred, gt), sample(gt, gt)])
    # width 1: class 0 I=32 U=40, class 1 I=24 U=32;
    # width 3: class 0 I=64 U=72, class 1 I=56 U=64
    assert metric.evaluate(2) == {'trimap1_mIoU': 77.5, 'trimap3_mIoU': 88.19}


def test_works_beside_iou_metric_in_one_evaluator():
    with DefaultScope.overwrite_default_scope('mmseg'):
        evaluator = Evaluator([
            dict(type='IoUMetric', iou_metrics=['mIoU']),
            dict(type='TrimapIoUMetric', widths=(2, 8))
        ])
    evaluator.dataset_meta = {'classes': CLASSES}
    gt = split_map()
    pred = split_map()
    pred[:, 5] = 0
    evaluator.process([sample(pred, gt)])
    metrics = evaluator.evaluate(1)
    assert float(metrics['mIoU']) == pytest.approx(81.67)
    assert metrics['trimap2_mIoU'] == 70.83
    assert metrics['trimap8_mIoU'] == pytest.approx(81.67)


@pytest.mark.parametrize('widths', [(), [-1], (1, 2.5), (True, ), '12', 4])
def test_bad_widths_raise(widths):
    with pytest.raises(ValueError, match='expected'):
        TrimapIoUMetric(widths=widths)


@pytest.mark.parametrize('width', [-1, 1.0, None])
def test_band_bad_width_raises(width):
    with pytest.raises(ValueError, match='expected an int >= 0, got'):
        trimap_band(split_map(), width)


def test_mismatched_shapes_raise():
    metric = TrimapIoUMetric(widths=(1, ))
    metric.dataset_meta = {'classes': CLASSES}
    pred = np.zeros((8, 9), dtype=np.int64)
    with pytest.raises(ValueError, match=r'\(8, 9\) and \(8, 10\)'):
        metric.process({}, [sample(pred, split_map())])
