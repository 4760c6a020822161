"""The dense CRF trained with the network (CRF-as-RNN)."""
from typing import Union

import numpy as np
import torch
from mmseg.registry import MODELS
from torch import Tensor, nn

from .crf_settings import CRFSettings
from .dense_crf import check_crf_inputs
from .mean_field import CRFKernels, crf_unary, mean_field

_D = CRFSettings  # the shared defaults, read as class attributes


@MODELS.register_module()
class CRFAsRNN(nn.Module):
    """The fully-connected CRF as layers of the network, trained end to end
    as in `Conditional Random Fields as Recurrent Neural Networks
    <https://arxiv.org/abs/1502.03240>`_.

    As ``SegplugEncoderDecoder``'s ``postprocessor`` it runs in training
    too: the segmentor upsamples the logits to the input, runs
    ``train_iters`` mean-field iterations against the un-normalised input
    image and computes the decode head's loss on the refined scores. At
    test it refines the softmax of the logits at the original resolution
    against the original image with ``num_iters`` iterations, as
    :class:`DenseCRF` does.

    Learned: the two kernel weights (w1, w2) and the label compatibility
    mu (initialised to Potts, ``1 - eye``; with it and the same weights the
    output is :func:`dense_crf`'s). The kernel widths stay fixed: the
    lattice is a discrete structure built from the features divided by
    them, so they have no useful gradient (CRF-as-RNN fixes them too).

    Args:
        num_classes (int): the decode head's classes (2 or more).
        train_iters (int): mean-field iterations in training. Default 5.
        num_iters (int): iterations at test, as :class:`DenseCRF`'s.
            Default 10.
        bi_weight (float): initial w1. Default 4.
        bi_xy_std (float): theta_alpha in pixels. Default 121.
        bi_rgb_std (float): theta_beta in intensity levels. Default 5.
        pos_weight (float): initial w2. Default 3.
        pos_xy_std (float): theta_gamma in pixels. Default 3.
        min_prob (float): probabilities are clamped to at least this before
            the log. Default 1e-5.
        normalization (str): 'symmetric', as :class:`DenseCRF`, or 'row',
            as the CRF-as-RNN authors' code (see
            :class:`~.crf_settings.CRFSettings`). Default 'symmetric'.
        raw_loss_weight (float): weight of the decode head's loss on the
            raw (unrefined) logits, added to the loss on the refined ones;
            0 leaves it out. Default 0.
        recompute (bool): recompute each iteration in the backward pass
            instead of keeping its messages (less memory, one more forward
            of the filters). Default False.

    The defaults are DeepLab v1 LargeFOV's CRF
    (:class:`~.crf_settings.CRFSettings`, which checks them) and
    CRF-as-RNN's training iterations.
    """
    # the segmentor runs it in training as well as after prediction
    trains_with_network = True

    def __init__(self,
                 num_classes: int,
                 train_iters: int = 5,
                 num_iters: int = _D.num_iters,
                 bi_weight: float = _D.bi_weight,
                 bi_xy_std: float = _D.bi_xy_std,
                 bi_rgb_std: float = _D.bi_rgb_std,
                 pos_weight: float = _D.pos_weight,
                 pos_xy_std: float = _D.pos_xy_std,
                 min_prob: float = _D.min_prob,
                 normalization: str = _D.normalization,
                 raw_loss_weight: float = 0.0,
                 recompute: bool = False):
        super().__init__()
        if (not isinstance(num_classes, int) or isinstance(num_classes, bool)
                or num_classes < 2):
            raise ValueError('CRFAsRNN: num_classes: expected an int >= 2, '
                             f'got {num_classes!r}')
        if (not isinstance(train_iters, int) or isinstance(train_iters, bool)
                or train_iters < 1):
            raise ValueError('CRFAsRNN: train_iters: expected an int >= 1, '
                             f'got {train_iters!r}')
        settings = CRFSettings(num_iters, bi_weight, bi_xy_std, bi_rgb_std,
                               pos_weight, pos_xy_std, min_prob, normalization)
        if (not isinstance(raw_loss_weight, (int, float))
                or isinstance(raw_loss_weight, bool) or raw_loss_weight < 0):
            raise ValueError('CRFAsRNN: raw_loss_weight: expected a number '
                             f'>= 0, got {raw_loss_weight!r}')
        self.num_classes = num_classes
        self.train_iters, self.num_iters = train_iters, num_iters
        self.widths = dict(
            bi_xy_std=bi_xy_std, bi_rgb_std=bi_rgb_std, pos_xy_std=pos_xy_std)
        self.min_prob = min_prob
        self.normalization = settings.normalization
        self.raw_loss_weight = float(raw_loss_weight)
        self.recompute = recompute
        self.bi_weight = nn.Parameter(torch.tensor(float(bi_weight)))
        self.pos_weight = nn.Parameter(torch.tensor(float(pos_weight)))
        self.compat = nn.Parameter(1 - torch.eye(num_classes))

    def refine(self, log_probs: Tensor, image: Union[Tensor, np.ndarray],
               num_iters: int) -> Tensor:
        """Mean-field scores (L, H, W) from log-probabilities (L, H, W) and
        the RGB image (H, W, 3), 0-255; differentiable in the
        log-probabilities and the CRF's parameters. Computes in float64
        when ``log_probs`` is float64, else float32 (also under
        autocast)."""
        c, h, w = log_probs.shape
        if c != self.num_classes:
            raise ValueError(f'CRFAsRNN: expected {self.num_classes} '
                             f'classes (num_classes), got {c}')
        dtype = (
            torch.float64
            if log_probs.dtype == torch.float64 else torch.float32)
        image = torch.as_tensor(image, device=log_probs.device)
        # mean-field in full precision under mixed-precision training too
        with torch.autocast(log_probs.device.type, enabled=False):
            kernels = CRFKernels(
                image,
                c,
                dtype=dtype,
                normalization=self.normalization,
                **self.widths)
            unary = crf_unary(
                log_probs.to(dtype).reshape(c, -1).t().contiguous(),
                self.min_prob)
            scores = mean_field(unary, kernels, num_iters,
                                self.bi_weight.to(dtype),
                                self.pos_weight.to(dtype),
                                self.compat.to(dtype), self.recompute)
        return scores.t().reshape(c, h, w)

    def refine_logits(self, logits: Tensor,
                      image: Union[Tensor, np.ndarray]) -> Tensor:
        """Training: logits (L, H, W) at the image's size -> refined scores
        (L, H, W) after ``train_iters`` iterations."""
        return self.refine(logits.log_softmax(0), image, self.train_iters)

    @torch.no_grad()
    def forward(self, probs: Tensor, image: Union[Tensor,
                                                  np.ndarray]) -> Tensor:
        """Test: probs (C, H, W) and image (H, W, 3) -> marginals (C, H, W)
        after ``num_iters`` iterations, as :class:`DenseCRF`'s (no
        gradients; :meth:`refine` has them)."""
        image = torch.as_tensor(image, device=probs.device)
        check_crf_inputs(probs, image, 1e-3)
        log_probs = probs.clamp(min=self.min_prob).log()
        return self.refine(log_probs, image, self.num_iters).softmax(0)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, '
                f'train_iters={self.train_iters}, '
                f'num_iters={self.num_iters}, '
                f'bi_weight={self.bi_weight.item():.4g}, '
                f'pos_weight={self.pos_weight.item():.4g}, ' +
                ', '.join(f'{k}={v}' for k, v in self.widths.items()) +
                f', normalization={self.normalization!r}, '
                f'raw_loss_weight={self.raw_loss_weight}')
