"""Fully-connected CRF (Krähenbühl and Koltun 2011) as DeepLab v1/v2 use it.

`Efficient Inference in Fully Connected CRFs with Gaussian Edge Potentials
<https://arxiv.org/abs/1210.5644>`_. Mean-field inference with a Potts
compatibility and two kernels: an appearance kernel over position and colour
(weight ``bi_weight``, standard deviations ``bi_xy_std`` = theta_alpha and
``bi_rgb_std`` = theta_beta) and a smoothness kernel over position
(``pos_weight``, ``pos_xy_std`` = theta_gamma). Both kernels are normalised
symmetrically, as in the reference implementation, or by rows, as the
CRF-as-RNN authors' code (``normalization``).

What is approximated:

- The appearance kernel is filtered on a permutohedral lattice (see
  :mod:`.permutohedral`), the same approximation as the reference code; the
  lattice is built as the reference builds it.
- The smoothness kernel is an exact Gaussian, separable, truncated at
  ``3 * pos_xy_std`` (it keeps 99.5% of the 2-D kernel's mass), with zero
  padding at the image border. The reference filters this kernel on a 2-D
  lattice instead; the labels agree on >= 99% of pixels
  (tests/test_models/test_postprocessors/test_dense_crf_reference.py).
"""
from dataclasses import asdict
from typing import Union

import numpy as np
import torch
from mmseg.registry import MODELS
from torch import Tensor, nn

from .crf_settings import CRFSettings
from .permutohedral import PermutohedralLattice
from .smoothness_kernel import SmoothnessKernel

_D = CRFSettings  # the shared defaults, read as class attributes


def check_crf_inputs(probs: Tensor, image: Tensor, sum_tol: float) -> None:
    if probs.dim() != 3 or probs.shape[0] < 1:
        raise ValueError('dense_crf: expected probabilities of shape '
                         f'(C, H, W), got {tuple(probs.shape)}')
    if not probs.is_floating_point():
        raise TypeError('dense_crf: expected floating-point probabilities, '
                        f'got {probs.dtype}')
    if image.dim() != 3 or image.shape[2] != 3:
        raise ValueError('dense_crf: expected an RGB image of shape '
                         f'(H, W, 3), got {tuple(image.shape)}')
    if tuple(image.shape[:2]) != tuple(probs.shape[1:]):
        raise ValueError(
            f'dense_crf: image is {tuple(image.shape[:2])} but the '
            f'probabilities are {tuple(probs.shape[1:])}; expected the same '
            'height and width')
    # a NaN or inf anywhere shows in the per-pixel sums: one pass for both
    # checks, one for the sign
    sums = probs.sum(0)
    if not torch.isfinite(sums).all():
        raise ValueError('dense_crf: probabilities contain NaN or inf')
    if image.is_floating_point() and not torch.isfinite(image).all():
        raise ValueError('dense_crf: image contains NaN or inf')
    low = float(probs.min())
    if low < 0:
        raise ValueError(f'dense_crf: probabilities must be >= 0, got {low}')
    err = float((sums - 1).abs().max())
    if err > sum_tol:
        raise ValueError(
            'dense_crf: probabilities must sum to 1 over the classes at '
            f'every pixel (softmax of the logits); the sums are off by up to '
            f'{err:.3g}')


# The peak memory of dense_crf grows with pixels x (classes + 1): the
# lattice's splatted values and blur buffers, about 85 bytes each on 1 and
# 4 megapixel images; rounded up
BYTES_PER_PIXEL_AND_CLASS = 96


def dense_crf_bytes(height: int, width: int, num_classes: int) -> int:
    """About how much memory :func:`dense_crf` takes on an image."""
    return height * width * (num_classes + 1) * BYTES_PER_PIXEL_AND_CLASS


def dense_crf(probs: Tensor,
              image: Union[Tensor, np.ndarray],
              num_iters: int = _D.num_iters,
              bi_weight: float = _D.bi_weight,
              bi_xy_std: float = _D.bi_xy_std,
              bi_rgb_std: float = _D.bi_rgb_std,
              pos_weight: float = _D.pos_weight,
              pos_xy_std: float = _D.pos_xy_std,
              min_prob: float = _D.min_prob,
              normalization: str = _D.normalization,
              sum_tol: float = 1e-3) -> Tensor:
    """Mean-field inference of the fully-connected CRF.

    Args:
        probs (Tensor): class probabilities (C, H, W), the softmax of the
            network's logits at the image's resolution; they must sum to 1
            over C (within ``sum_tol``).
        image (Tensor | ndarray): the original RGB image (H, W, 3), values
            0-255 (not normalised). The kernel treats the three channels
            alike, but its lattice embedding does not exactly: give RGB, as
            the reference code is given.
        num_iters (int): mean-field iterations. Default: 10.
        bi_weight (float): w1, appearance kernel weight. Default: 4.
        bi_xy_std (float): theta_alpha in pixels. Default: 121.
        bi_rgb_std (float): theta_beta in intensity levels. Default: 5.
        pos_weight (float): w2, smoothness kernel weight. Default: 3.
        pos_xy_std (float): theta_gamma in pixels. Default: 3.
        min_prob (float): probabilities are clamped to at least this before
            the unary -log(p) is taken. Default: 1e-5.
        normalization (str): 'symmetric' or 'row' (see
            :class:`~.crf_settings.CRFSettings`). Default: 'symmetric'.
        sum_tol (float): tolerance of the sum-to-one check. Default: 1e-3.

    The defaults are DeepLab v1 LargeFOV's on PASCAL VOC
    (:class:`~.crf_settings.CRFSettings`, which checks them).

    Returns:
        Tensor: the mean-field marginals Q (C, H, W), on ``probs``' device.
    """
    CRFSettings(num_iters, bi_weight, bi_xy_std, bi_rgb_std, pos_weight,
                pos_xy_std, min_prob, normalization)
    image = torch.as_tensor(image, device=probs.device)
    check_crf_inputs(probs, image, sum_tol)
    c, h, w = probs.shape
    device = probs.device
    clamped = probs.float().reshape(c,
                                    -1).t().contiguous().clamp_(min=min_prob)
    # the clamped probabilities, renormalised: softmax of the unary
    q = clamped / clamped.sum(1, keepdim=True)
    unary = clamped.log_()
    if num_iters == 0:
        return q.t().reshape(c, h, w)

    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32, device=device),
        torch.arange(w, dtype=torch.float32, device=device),
        indexing='ij')
    features = torch.cat(
        [torch.stack([xs, ys], -1) / bi_xy_std,
         image.float() / bi_rgb_std], -1).view(-1, 5)
    appearance = PermutohedralLattice(features)
    appearance.normalize_(bi_weight, normalization)
    smooth = SmoothnessKernel(
        h, w, c, pos_xy_std, device, normalization=normalization)
    energy = torch.empty_like(q)
    for _ in range(num_iters):
        # Potts: each label is pulled by the kernel-weighted mass of the
        # same label around it (compatibility -w [l = l'], as the reference)
        appearance.filter(q, out=energy, add=unary)
        smooth.add_to(energy, q, pos_weight)
        # torch.softmax into the existing buffer (its out= form)
        torch._softmax(energy, 1, False, out=q)
    return q.t().reshape(c, h, w)


@MODELS.register_module()
class DenseCRF(nn.Module):
    """Registered wrapper of :func:`dense_crf`, a segmentor postprocessor.

    `DeepLab v1 <https://arxiv.org/abs/1412.7062>`_ refines the softmax of
    the full-resolution logits with a fully-connected CRF against the
    original image. ``SegplugEncoderDecoder(postprocessor=dict(
    type='DenseCRF'))`` runs it after every prediction. Arguments and
    defaults (DeepLab v1 LargeFOV's) are those of :func:`dense_crf`.
    """

    def __init__(self,
                 num_iters: int = _D.num_iters,
                 bi_weight: float = _D.bi_weight,
                 bi_xy_std: float = _D.bi_xy_std,
                 bi_rgb_std: float = _D.bi_rgb_std,
                 pos_weight: float = _D.pos_weight,
                 pos_xy_std: float = _D.pos_xy_std,
                 min_prob: float = _D.min_prob,
                 normalization: str = _D.normalization):
        super().__init__()
        self.cfg = asdict(
            CRFSettings(num_iters, bi_weight, bi_xy_std, bi_rgb_std,
                        pos_weight, pos_xy_std, min_prob, normalization))

    @torch.no_grad()
    def forward(self, probs: Tensor, image: Union[Tensor,
                                                  np.ndarray]) -> Tensor:
        """probs (C, H, W) and image (H, W, 3) -> marginals (C, H, W)."""
        return dense_crf(probs, image, **self.cfg)

    def extra_repr(self) -> str:
        return ', '.join(f'{k}={v}' for k, v in self.cfg.items())
