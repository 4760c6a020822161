"""U-Net's pixel-weighted cross-entropy that separates touching objects."""
import math
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from scipy import ndimage
from torch import Tensor


def _check_non_negative(name: str, value, positive: bool = False) -> float:
    bound = 'a number > 0' if positive else 'a number >= 0'
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name}: expected {bound}, got '
                        f'{type(value).__name__} {value!r}')
    if value < 0 or (positive and value == 0):
        raise ValueError(f'{name}: expected {bound}, got {value!r}')
    return float(value)


def _two_nearest_distances(label: np.ndarray, valid: np.ndarray, reach: int):
    """Per pixel, the distances to the nearest and second-nearest object
    (connected component of one non-background class); inf beyond
    ``reach`` pixels of an object's bounding box."""
    d1 = np.full(label.shape, np.inf)
    d2 = np.full(label.shape, np.inf)
    for cls in np.unique(label[valid]):
        if cls == 0:
            continue
        components, _ = ndimage.label(label == cls)
        for k, box in enumerate(ndimage.find_objects(components), 1):
            win = tuple(
                slice(max(s.start - reach, 0), s.stop + reach) for s in box)
            d = ndimage.distance_transform_edt(components[win] != k)
            near, second = d1[win], d2[win]
            d2[win] = np.minimum(second, np.maximum(near, d))
            d1[win] = np.minimum(near, d)
    return d1, d2


def unet_weight_map(label: np.ndarray,
                    w0: float = 10.,
                    sigma: float = 5.,
                    class_balance: bool = True,
                    ignore_index: int = 255) -> np.ndarray:
    """Pixel weights of `U-Net <https://arxiv.org/abs/1505.04597>`_, Eq. 2:
    ``w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 * sigma**2))``.

    Objects are the 4-connected components of each class > 0 (class 0 is
    background); ``d1``/``d2`` are the distances to the nearest and
    second-nearest object. The border term is added on background pixels
    only, so the narrow gaps between touching objects weigh most.
    Distances beyond ``6 * sigma`` from an object's bounding box are treated
    as infinite; what they would add is below ``w0 * 1.6e-8``.

    Args:
        label (np.ndarray): ``(H, W)`` integer class map.
        w0 (float): Border weight. Default 10 as in the paper.
        sigma (float): Border width in pixels. Default 5 as in the paper.
        class_balance (bool): ``w_c`` is the inverse class frequency scaled
            so its mean over the valid pixels is 1; otherwise 1. Default True.
        ignore_index (int): Label whose pixels get weight 0. Default 255.

    Returns:
        np.ndarray: ``(H, W)`` float32 weights.
    """
    w0 = _check_non_negative('unet_weight_map w0', w0)
    sigma = _check_non_negative('unet_weight_map sigma', sigma, True)
    if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
        raise ValueError('unet_weight_map label: expected an (H, W) integer '
                         f'array, got {label.dtype} {label.shape}')
    valid = label != ignore_index
    weight = valid.astype(np.float64)
    if class_balance and valid.any():
        classes, inverse, counts = np.unique(
            label[valid], return_inverse=True, return_counts=True)
        weight[valid] = valid.sum() / (len(classes) * counts[inverse])
    if w0 > 0:
        d1, d2 = _two_nearest_distances(label, valid, math.ceil(6 * sigma))
        gap = valid & (label == 0)
        weight[gap] += w0 * np.exp(-(d1[gap] + d2[gap])**2 / (2 * sigma**2))
    return weight.astype(np.float32)


@MODELS.register_module()
class BorderWeightedCrossEntropyLoss(nn.Module):
    """Weighted cross-entropy of `U-Net: Convolutional Networks for
    Biomedical Image Segmentation <https://arxiv.org/abs/1505.04597>`_.

    Weighs each pixel's cross-entropy by :func:`unet_weight_map`, computed
    from the labels on the CPU at every call (the paper precomputes them),
    and averages over the non-ignored pixels.

    Args:
        w0 (float): Border weight. Default 10 as in the paper.
        sigma (float): Border width in pixels. Default 5 as in the paper.
        class_balance (bool): Balance class frequencies. Default True.
        loss_weight (float): Multiplier of the loss. Default 1.
        loss_name (str): Key in the losses dict; must start with 'loss_' for
            mmseg to add it to the total. Default 'loss_bwce'.
    """

    def __init__(self,
                 w0: float = 10.,
                 sigma: float = 5.,
                 class_balance: bool = True,
                 loss_weight: float = 1.,
                 loss_name: str = 'loss_bwce'):
        super().__init__()
        self.w0 = _check_non_negative('BorderWeightedCrossEntropyLoss w0', w0)
        self.sigma = _check_non_negative(
            'BorderWeightedCrossEntropyLoss sigma', sigma, True)
        if not isinstance(class_balance, bool):
            raise TypeError('BorderWeightedCrossEntropyLoss class_balance: '
                            f'expected a bool, got {class_balance!r}')
        self.class_balance = class_balance
        self.loss_weight = _check_non_negative(
            'BorderWeightedCrossEntropyLoss loss_weight', loss_weight)
        if not isinstance(loss_name, str) or not loss_name.startswith('loss_'):
            raise ValueError('BorderWeightedCrossEntropyLoss loss_name: '
                             "expected a str starting with 'loss_', got "
                             f'{loss_name!r}')
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """``cls_score`` ``(N, C, H, W)`` logits, ``label`` ``(N, H, W)``
        class indices, ``weight`` optional ``(N, H, W)`` extra pixel weights
        (e.g. from a sampler). Returns a scalar."""
        if cls_score.dim() != 4 or label.shape != (cls_score.shape[0],
                                                   *cls_score.shape[2:]):
            raise ValueError(
                'BorderWeightedCrossEntropyLoss: expected logits (N, C, H, W)'
                ' and labels (N, H, W) of the same size, got '
                f'{tuple(cls_score.shape)} and {tuple(label.shape)}')
        maps = np.stack([
            unet_weight_map(lab, self.w0, self.sigma, self.class_balance,
                            ignore_index)
            for lab in label.detach().cpu().numpy()
        ])
        pixel_weight = torch.from_numpy(maps).to(cls_score)
        if weight is not None:
            pixel_weight = pixel_weight * weight
        ce = F.cross_entropy(
            cls_score,
            label.long(),
            reduction='none',
            ignore_index=ignore_index)
        num_valid = (label != ignore_index).sum().clamp(min=1)
        return self.loss_weight * (ce * pixel_weight).sum() / num_valid
