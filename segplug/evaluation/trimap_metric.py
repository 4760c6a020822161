"""Boundary ("trimap") mean IoU, as DeepLab v1 reports it (its Fig. 5).

`Semantic Image Segmentation with Deep Convolutional Nets and Fully Connected
CRFs <https://arxiv.org/abs/1412.7062>`_. Mean IoU is measured only on the
pixels within a band of ``width`` pixels around the ground-truth object
boundaries, for several widths at once, which shows how sharp the predicted
boundaries are (the CRF's gain is largest at small widths).
"""
import numbers
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS
from prettytable import PrettyTable
from scipy.ndimage import distance_transform_edt
from torch import Tensor


def _check_width(width, where: str) -> None:
    if (not isinstance(width, numbers.Integral) or isinstance(width, bool)
            or width < 0):
        raise ValueError(f'{where}: width: expected an int >= 0, got '
                         f'{width!r}')


def boundary_distance(gt: np.ndarray) -> np.ndarray:
    """Euclidean distance of each pixel of a label map ``(H, W)`` to the
    nearest boundary pixel (a pixel whose label differs from one of its 4
    neighbours; labels compared as-is, so the outline of an ignore region
    counts). ``inf`` everywhere when the map has no boundary."""
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError('boundary_distance: gt: expected an (H, W) label '
                         f'map, got shape {gt.shape}')
    vertical = gt[1:, :] != gt[:-1, :]
    horizontal = gt[:, 1:] != gt[:, :-1]
    boundary = np.zeros(gt.shape, dtype=bool)
    boundary[1:, :] |= vertical
    boundary[:-1, :] |= vertical
    boundary[:, 1:] |= horizontal
    boundary[:, :-1] |= horizontal
    if not boundary.any():
        return np.full(gt.shape, np.inf)
    return distance_transform_edt(~boundary)


def trimap_band(gt: np.ndarray,
                width: int,
                ignore_index: int = 255) -> np.ndarray:
    """Boolean mask ``(H, W)`` of the pixels within ``width`` pixels
    (Euclidean) of a ground-truth boundary, ``width=0`` giving the boundary
    pixels alone. Pixels labelled ``ignore_index`` are never in the band
    (they are not evaluated), though their outline is a boundary. A map
    without a boundary gives an empty band.

    Args:
        gt (np.ndarray): Ground-truth label map ``(H, W)``.
        width (int): Band half-width in pixels, >= 0.
        ignore_index (int): Label excluded from the band. Defaults to 255.
    """
    _check_width(width, 'trimap_band')
    gt = np.asarray(gt)
    return (boundary_distance(gt) <= width) & (gt != ignore_index)


def trimap_intersect_and_union(
        pred_label: Tensor,
        label: Tensor,
        widths: Sequence[int],
        num_classes: int,
        ignore_index: int = 255) -> Tuple[Tensor, Tensor, Tensor, int]:
    """Per-class intersection and union areas on the trimap band of each
    width, for one image.

    Args:
        pred_label (Tensor): Predicted label map ``(H, W)``.
        label (Tensor): Ground-truth label map ``(H, W)``.
        widths (Sequence[int]): Band widths in pixels, each >= 0.
        num_classes (int): Number of classes.
        ignore_index (int): Ground-truth label that is not evaluated.
            Defaults to 255.

    Returns:
        tuple: ``intersect`` and ``union``, ``(len(widths), num_classes)``
        float tensors; ``band_pixels``, ``(len(widths),)``, the band's pixel
        count per width; and the number of non-ignored pixels.
    """
    if pred_label.shape != label.shape:
        raise ValueError('trimap_intersect_and_union: expected pred_label '
                         'and label of the same shape, got '
                         f'{tuple(pred_label.shape)} and {tuple(label.shape)}')
    for width in widths:
        _check_width(width, 'trimap_intersect_and_union')
    gt = label.cpu().numpy()
    distance = boundary_distance(gt)
    valid = gt != ignore_index
    intersect = torch.zeros(len(widths), num_classes)
    union = torch.zeros(len(widths), num_classes)
    band_pixels = torch.zeros(len(widths), dtype=torch.long)
    for i, width in enumerate(widths):
        band = torch.from_numpy((distance <= width) & valid).to(label.device)
        areas = IoUMetric.intersect_and_union(pred_label[band], label[band],
                                              num_classes, ignore_index)
        intersect[i], union[i] = areas[0], areas[1]
        band_pixels[i] = int(band.sum())
    return intersect, union, band_pixels, int(valid.sum())


def _mean_iou(intersect: Tensor, union: Tensor) -> float:
    """Mean IoU in percent (2 decimals) over the classes present in
    ``union``; NaN when none is."""
    present = union > 0
    if not present.any():
        return float('nan')
    iou = intersect[present] / union[present]
    return round(iou.mean().item() * 100, 2)


@METRICS.register_module()
class TrimapIoUMetric(BaseMetric):
    """Mean IoU on bands around the ground-truth boundaries (DeepLab v1).

    `Semantic Image Segmentation with Deep Convolutional Nets and Fully
    Connected CRFs <https://arxiv.org/abs/1412.7062>`_. For each width ``w``
    reports ``trimap{w}_mIoU``: mean IoU (percent) over the classes present
    in the band of pixels within ``w`` pixels of a ground-truth boundary
    (see :func:`trimap_band`). Works beside mmseg's ``IoUMetric`` in one
    ``val_evaluator`` list; like it, it expects labels already reduced when
    the dataset uses ``reduce_zero_label``.

    Args:
        widths (Sequence[int]): Band widths in pixels, each >= 0.
            Defaults to (1, 2, 4, 8, 16, 32).
        ignore_index (int): Ground-truth label that is not evaluated.
            Defaults to 255.
        collect_device (str): Device for collecting results across ranks,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix added to the metric names.
            Defaults to None.
    """

    def __init__(self,
                 widths: Sequence[int] = (1, 2, 4, 8, 16, 32),
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(widths, (str, bytes)) or not isinstance(
                widths, Sequence) or len(widths) == 0:
            raise ValueError('TrimapIoUMetric: widths: expected a non-empty '
                             f'sequence of ints >= 0, got {widths!r}')
        for width in widths:
            _check_width(width, 'TrimapIoUMetric')
        self.widths = tuple(int(width) for width in widths)
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store each sample's per-width intersect/union areas.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): Samples with ``pred_sem_seg`` and
                ``gt_sem_seg`` label maps ``(1, H, W)`` or ``(H, W)``.
        """
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            pred_label = data_sample['pred_sem_seg']['data'].squeeze()
            label = data_sample['gt_sem_seg']['data'].squeeze()
            if pred_label.shape != label.shape:
                raise ValueError(
                    'TrimapIoUMetric: expected pred_sem_seg and gt_sem_seg '
                    f'of the same shape, got {tuple(pred_label.shape)} and '
                    f'{tuple(label.shape)}')
            self.results.append(
                trimap_intersect_and_union(pred_label, label.to(pred_label),
                                           self.widths, num_classes,
                                           self.ignore_index))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Sum the areas over samples and return ``trimap{w}_mIoU`` (percent)
        for each width; NaN for a width whose band is empty everywhere."""
        totals = [sum(column) for column in zip(*results)]
        intersect, union, band_pixels, valid_pixels = totals
        metrics = OrderedDict()
        table = PrettyTable(['Width', 'Band (%)', 'mIoU'])
        for i, width in enumerate(self.widths):
            miou = _mean_iou(intersect[i], union[i])
            metrics[f'trimap{width}_mIoU'] = miou
            fraction = 100 * band_pixels[i].item() / max(valid_pixels, 1)
            table.add_row([width, f'{fraction:.2f}', miou])
        logger: MMLogger = MMLogger.get_current_instance()
        print_log('trimap (boundary band) results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return metrics
