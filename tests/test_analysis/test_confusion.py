import numpy as np
import pytest
import torch
from mmseg.evaluation import IoUMetric

from segplug.analysis import (confusion_matrix, normalize_rows,
                              per_class_accuracy, per_class_iou,
                              per_class_table)


def test_known_prediction_gives_known_matrix():
    gt = np.array([[0, 0, 1, 1], [2, 2, 255, 255]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 2, 0]])
    # rows ground truth, columns prediction; the two void pixels left out
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    assert np.array_equal(confusion_matrix(pred, gt, 3), expected)
    assert confusion_matrix(pred, gt, 3).dtype == np.int64


def test_ignore_index_is_configurable():
    gt = np.array([0, 1, 2, 2])
    pred = np.array([0, 1, 1, 2])
    cm = confusion_matrix(pred, gt, 3, ignore_index=2)
    assert np.array_equal(cm, [[1, 0, 0], [0, 1, 0], [0, 0, 0]])


def test_iou_and_accuracy_of_a_known_matrix():
    cm = np.array([[3, 1, 0], [1, 1, 0], [0, 0, 0]])
    assert np.allclose(per_class_iou(cm)[:2], [3 / 5, 1 / 3])
    assert np.allclose(per_class_accuracy(cm)[:2], [3 / 4, 1 / 2])
    assert np.isnan(per_class_iou(cm)[2]) and np.isnan(
        per_class_accuracy(cm)[2])
    rows = normalize_rows(cm)
    assert np.allclose(rows, [[0.75, 0.25, 0], [0.5, 0.5, 0], [0, 0, 0]])


def test_predicted_but_absent_class_has_iou_zero():
    cm = np.array([[2, 1], [0, 0]])
    assert per_class_iou(cm)[1] == 0 and np.isnan(per_class_accuracy(cm)[1])


def test_equals_mmseg_iou_metric_on_the_same_predictions():
    rng = np.random.default_rng(0)
    num_classes, classes = 5, tuple('abcde')
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=classes)
    total = np.zeros((num_classes, num_classes), np.int64)
    for size in ((23, 31), (17, 45), (40, 40)):
        gt = rng.integers(0, num_classes, size)
        gt[rng.random(size) < 0.1] = 255
        gt[gt == 4] = 3  # class 4: predicted, never true
        pred = np.where(rng.random(size) < 0.6, gt, rng.integers(0, 5, size))
        pred[pred == 255] = 0
        metric.process([], [
            dict(
                pred_sem_seg=dict(data=torch.from_numpy(pred)[None]),
                gt_sem_seg=dict(data=torch.from_numpy(gt)[None]))
        ])
        total += confusion_matrix(pred, gt, num_classes)
    areas = [sum(r[i] for r in metric.results) for i in range(4)]
    ref = IoUMetric.total_area_to_metrics(*areas, ['mIoU'])
    assert np.allclose(per_class_iou(total), ref['IoU'], equal_nan=True)
    assert np.allclose(per_class_accuracy(total), ref['Acc'], equal_nan=True)
    summary = metric.compute_metrics(metric.results)
    table = per_class_table(total, classes)
    mean_row = table.splitlines()[-2].split('|')
    assert float(mean_row[2]) == pytest.approx(summary['mIoU'], abs=0.01)
    assert float(mean_row[3]) == pytest.approx(summary['mAcc'], abs=0.01)


def test_table_names_each_class():
    table = per_class_table(np.array([[3, 1], [1, 1]]), ('sky', 'road'))
    lines = table.splitlines()
    assert lines[1].split() == ['|', 'class', '|', 'IoU', '|', 'Acc', '|']
    assert [c.strip()
            for c in lines[3].split('|')[1:4]] == ['sky', '60.00', '75.00']
    assert 'road' in lines[4] and 'mean' in lines[5]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='expected pred and gt of one shape'):
        confusion_matrix(np.zeros((2, 3)), np.zeros((3, 2)), 2)
    with pytest.raises(ValueError, match='expected num_classes >= 1'):
        confusion_matrix(np.zeros(3), np.zeros(3), 0)
    with pytest.raises(ValueError, match='expected 2 class names, got 1'):
        per_class_table(np.eye(2, dtype=int), ('a', ))
