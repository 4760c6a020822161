"""Mean-field inference of the dense CRF as a differentiable layer, as in
`Conditional Random Fields as Recurrent Neural Networks
<https://arxiv.org/abs/1502.03240>`_ (CRF-as-RNN).

Each iteration filters the marginals Q with the two normalised kernels
(appearance on the permutohedral lattice, smoothness as a separable
Gaussian), weighs the two messages, applies the label compatibility and
takes the softmax. Gradients reach the unary and the learnable parameters:
the two kernel weights and the compatibility matrix.

Both filters are fixed linear maps of Q, so their backward pass is their
transpose applied to the incoming gradient, and nothing of Q needs to be
kept for them:

- the smoothness kernel D G D (D the normalisation, G a symmetric Gaussian
  with zero padding) is symmetric: its own transpose; normalised by rows,
  D^2 G, its transpose is G D^2;
- the lattice filter D S^T B_d ... B_0 S D (splat S, axis blurs B_j, each
  symmetric) has the transpose D S^T B_0 ... B_d S D: the same filter with
  the blurs in the opposite order (:meth:`PermutohedralLattice.filter`
  with ``transpose=True``).

Per iteration autograd keeps its input Q and the two messages: three
arrays of N x L values (at 512x512 and 21 labels, float32: 22 MB each,
66 MB per iteration per image). ``recompute=True`` keeps only each
iteration's input Q (and once the unary) and runs the iteration again in
the backward pass: one array per iteration (22 MB), for one more forward
pass of the filters.
"""
import math
from typing import Callable

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable
from torch.utils.checkpoint import checkpoint

from .permutohedral import PermutohedralLattice
from .smoothness_kernel import SmoothnessKernel


class _LinearFilter(torch.autograd.Function):
    """``apply(values)`` for a fixed linear map; backward ``transpose``."""

    @staticmethod
    def forward(ctx, values: Tensor, apply: Callable,
                transpose: Callable) -> Tensor:
        ctx.transpose = transpose
        return apply(values)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        return ctx.transpose(grad.contiguous()), None, None


class CRFKernels:
    """The dense CRF's two normalised kernels for one image, as
    differentiable linear maps of values (H*W, L).

    Args:
        image (Tensor): RGB (H, W, 3), 0-255 (not normalised).
        num_labels (int): L, the number of labels.
        bi_xy_std (float): theta_alpha, appearance kernel width in pixels.
        bi_rgb_std (float): theta_beta, appearance kernel width in
            intensity levels.
        pos_xy_std (float): theta_gamma, smoothness kernel width in pixels.
        dtype (torch.dtype): what the filters compute in. Default float32.
        normalization (str): 'symmetric' or 'row' (see
            :class:`~.crf_settings.CRFSettings`). Default 'symmetric'.
    """

    def __init__(self,
                 image: Tensor,
                 num_labels: int,
                 bi_xy_std: float,
                 bi_rgb_std: float,
                 pos_xy_std: float,
                 dtype: torch.dtype = torch.float32,
                 normalization: str = 'symmetric'):
        h, w = image.shape[:2]
        device = image.device
        ys, xs = torch.meshgrid(
            torch.arange(h, dtype=torch.float32, device=device),
            torch.arange(w, dtype=torch.float32, device=device),
            indexing='ij')
        features = torch.cat([
            torch.stack([xs, ys], -1) / bi_xy_std,
            image.float() / bi_rgb_std
        ], -1).view(-1, 5)
        self.lattice = PermutohedralLattice(features)
        self.lattice.normalize_(normalization=normalization)
        self.lattice.to_(dtype)
        self.smoothness_kernel = SmoothnessKernel(h, w, num_labels, pos_xy_std,
                                                  device, dtype, normalization)

    def _lattice_forward(self, values: Tensor) -> Tensor:
        return self.lattice.filter(values)

    def _lattice_transpose(self, values: Tensor) -> Tensor:
        return self.lattice.filter(values, transpose=True)

    def appearance(self, q: Tensor) -> Tensor:
        """The appearance kernel's message (H*W, L)."""
        return _LinearFilter.apply(q, self._lattice_forward,
                                   self._lattice_transpose)

    def _smoothness_transpose(self, values: Tensor) -> Tensor:
        return self.smoothness_kernel.apply(values, transpose=True)

    def smoothness(self, q: Tensor) -> Tensor:
        """The smoothness kernel's message (H*W, L)."""
        return _LinearFilter.apply(q, self.smoothness_kernel.apply,
                                   self._smoothness_transpose)


def crf_unary(log_probs: Tensor, min_prob: float) -> Tensor:
    """The unary the mean-field iterations start from: log-probabilities
    clamped at ``log(min_prob)``, as the post-hoc CRF clamps its input."""
    return log_probs.clamp(min=math.log(min_prob))


def _iteration(q: Tensor, unary: Tensor, kernels: CRFKernels,
               bi_compat: Tensor, pos_compat: Tensor) -> Tensor:
    # the kernel weights are folded into the (L, L) compatibility, so that
    # autograd keeps the two messages, not their weighted sum as well
    pairwise = torch.addmm(
        kernels.appearance(q) @ bi_compat, kernels.smoothness(q), pos_compat)
    return unary - pairwise


def mean_field(unary: Tensor,
               kernels: CRFKernels,
               num_iters: int,
               bi_weight: Tensor,
               pos_weight: Tensor,
               compat: Tensor,
               recompute: bool = False) -> Tensor:
    """Differentiable mean-field inference.

    Args:
        unary (Tensor): (N, L) unary scores (log-probabilities, higher is
            more likely), N = H*W in row-major order.
        kernels (CRFKernels): the image's kernels.
        num_iters (int): iterations; 0 returns ``unary``.
        bi_weight (Tensor): w1, the appearance kernel's weight (scalar).
        pos_weight (Tensor): w2, the smoothness kernel's weight (scalar).
        compat (Tensor): (L, L) label compatibility mu(l, l'), the cost of
            label l at a pixel whose neighbours have l'; Potts is
            ``1 - eye(L)``.
        recompute (bool): keep only each iteration's input for the backward
            pass and run the iteration again there. Default False.

    Returns:
        Tensor: (N, L) the last iteration's scores before the softmax: its
        softmax is the marginals Q, and a cross-entropy loss takes it as
        logits.
    """
    compat_t = compat.t()
    bi_compat, pos_compat = bi_weight * compat_t, pos_weight * compat_t
    scores = unary
    for _ in range(num_iters):
        q = scores.softmax(1)
        if recompute and torch.is_grad_enabled():
            scores = checkpoint(
                _iteration,
                q,
                unary,
                kernels,
                bi_compat,
                pos_compat,
                use_reentrant=False)
        else:
            scores = _iteration(q, unary, kernels, bi_compat, pos_compat)
    return scores
