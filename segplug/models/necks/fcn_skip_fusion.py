"""FCN-32s/16s/8s skip fusion as a neck."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int

MODES = ('32s', '16s', '8s')


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """Weights ``(channels, channels, k, k)`` of a transposed conv that
    upsamples each channel on its own bilinearly, by ``(k + 1) // 2``.

    FCN's ``upsample_filt``: a separable triangle, placed on the diagonal so
    that no channel mixes with another. With ``k=4, stride=2, padding=1``
    the output is exactly 2x the input and matches
    ``F.interpolate(scale_factor=2, mode='bilinear', align_corners=False)``
    away from the border (one pixel), where it sees zero padding.
    """
    check_positive_int('bilinear_kernel channels', channels)
    check_positive_int('bilinear_kernel kernel_size', kernel_size)
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 else factor - 0.5
    taps = 1 - (torch.arange(kernel_size) - center).abs() / factor
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    index = torch.arange(channels)
    weight[index, index] = taps[:, None] * taps[None, :]
    return weight


def _score(in_channels: int, channels: int, zero: bool) -> nn.Conv2d:
    conv = nn.Conv2d(in_channels, channels, 1)
    if zero:
        nn.init.zeros_(conv.weight)
    else:
        nn.init.normal_(conv.weight, std=0.01)
    nn.init.zeros_(conv.bias)
    return conv


def _upsample2x(channels: int) -> nn.ConvTranspose2d:
    up = nn.ConvTranspose2d(
        channels, channels, 4, stride=2, padding=1, bias=False)
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(channels, 4))
    return up


@MODELS.register_module()
class FCNSkipFusion(BaseModule):
    """Skip fusion of `Fully Convolutional Networks for Semantic
    Segmentation <https://arxiv.org/abs/1411.4038>`_ (FCN-32s/16s/8s).

    Scores each used level with a 1x1 conv, then from the coarsest up:
    upsamples 2x with a learnable transposed conv initialised to bilinear
    and adds the next finer score map. '32s' returns the fc7 score map,
    '16s' fuses pool4, '8s' fuses pool4 and pool3. As in FCN's reference
    code the pool3/pool4 score convs start at zero, so at initialisation the
    finer modes output the upsampled fc7 score map; the fc7 score conv is
    drawn from N(0, 0.01).

    Sizes decide the upsampling, so the neck also serves a backbone at
    output stride 16 or 8: a coarser map of the finer one's size is added
    as is, one of half its size (rounded either way) goes through the 2x
    transposed conv, is cropped where it comes out 1 px larger (odd sizes,
    ceil-mode pools) and resized where 1 px smaller (floor-mode pools).
    A transposed conv left unused that way gets no gradient: build the
    model wrapper with ``find_unused_parameters=True`` for such runs.

    Args:
        in_channels (Sequence[int]): Channels of (pool3, pool4, fc7).
        channels (int): Channels of the score maps; FCN uses the number of
            classes.
        mode (str): '32s', '16s' or '8s'. Default '8s'.
        in_index (Sequence[int]): Indices of (pool3, pool4, fc7) in the
            input tuple. Default (0, 1, 2).
        init_cfg (dict, optional): Initialisation config. Default None
            keeps the FCN initialisation above.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 mode: str = '8s',
                 in_index: Sequence[int] = (0, 1, 2),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int) or len(in_channels) != 3:
            raise ValueError('FCNSkipFusion in_channels: expected channels of '
                             f'(pool3, pool4, fc7), got {in_channels!r}')
        for c in in_channels:
            check_positive_int('FCNSkipFusion in_channel', c)
        check_positive_int('FCNSkipFusion channels', channels)
        if mode not in MODES:
            raise ValueError("FCNSkipFusion mode: expected '32s', '16s' or "
                             f"'8s', got {mode!r}")
        if isinstance(in_index, int) or len(in_index) != 3 or not all(
                isinstance(i, int) for i in in_index):
            raise ValueError('FCNSkipFusion in_index: expected 3 int indices '
                             f'of (pool3, pool4, fc7), got {in_index!r}')
        self.in_channels = tuple(in_channels)
        self.channels = channels
        self.mode = mode
        self.in_index = tuple(in_index)
        self.score_fr = _score(in_channels[2], channels, zero=False)
        if mode in ('16s', '8s'):
            self.upscore2 = _upsample2x(channels)
            self.score_pool4 = _score(in_channels[1], channels, zero=True)
        if mode == '8s':
            self.upscore_pool4 = _upsample2x(channels)
            self.score_pool3 = _score(in_channels[0], channels, zero=True)

    def _level(self, inputs: Sequence[Tensor], level: int) -> Tensor:
        x = inputs[self.in_index[level]]
        if x.shape[1] != self.in_channels[level]:
            raise ValueError(
                f'FCNSkipFusion input {self.in_index[level]}: expected '
                f'{self.in_channels[level]} channels, got {x.shape[1]}')
        return x

    @staticmethod
    def _fuse(coarse: Tensor, skip: Tensor, up: nn.Module) -> Tensor:
        size = skip.shape[2:]
        if coarse.shape[2:] == size:
            return coarse + skip
        if any(abs(2 * c - s) > 1 for c, s in zip(coarse.shape[2:], size)):
            raise ValueError('FCNSkipFusion: expected a coarser level of the '
                             'finer one\'s size or half of it, got '
                             f'{tuple(coarse.shape[2:])} and {tuple(size)}')
        coarse = up(coarse)[..., :size[0], :size[1]]
        if coarse.shape[2:] != size:
            coarse = resize(coarse, size=size, mode='bilinear')
        return coarse + skip

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """Inputs hold pool3 ``(N, C3, h3, w3)``, pool4 ``(N, C4, h4, w4)``
        and fc7 ``(N, C7, h7, w7)`` at ``in_index``. Output: a 1-tuple of
        ``(N, channels, h, w)``, at fc7's size for '32s', pool4's for '16s'
        and pool3's for '8s'.
        """
        score = self.score_fr(self._level(inputs, 2))
        if self.mode in ('16s', '8s'):
            skip = self.score_pool4(self._level(inputs, 1))
            score = self._fuse(score, skip, self.upscore2)
        if self.mode == '8s':
            skip = self.score_pool3(self._level(inputs, 0))
            score = self._fuse(score, skip, self.upscore_pool4)
        return (score, )
