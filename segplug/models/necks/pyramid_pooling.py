"""The pyramid pooling module of PSPNet as a neck."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import PooledConvModule, check_positive_int


@MODELS.register_module()
class PyramidPooling(BaseModule):
    """Pyramid pooling of `Pyramid Scene Parsing Network
    <https://arxiv.org/abs/1612.01105>`_ (PSPNet).

    Average-pools one feature level into ``bins`` x ``bins`` grids, reduces
    each grid with a 1x1 conv, upsamples it back and concatenates the input
    with all of them. The processed level is replaced by the result, with
    ``in_channels + len(bins) * channels`` channels; other levels pass
    through, so any head (mmseg's ``FCNHead`` as in PSPNet, segplug's
    ``UNetHead``, ...) can read it.

    Batch size 1 trains: each pooled branch is a ``PooledConvModule``,
    so bin 1's BN, given one value per channel (one pooled image), normalises
    with its running statistics for that step instead of failing as BN does
    ('Expected more than 1 value per channel'); batches of 2+ are unchanged.

    Args:
        in_channels (int): Channels of the processed level.
        channels (int, optional): Channels of each pooled branch. Default
            None: ``in_channels // len(bins)``, the paper's 1/N reduction.
        bins (Sequence[int]): Grid sizes. Default (1, 2, 3, 6) as in the
            paper.
        in_index (int): Which input level to process. Default -1 (the last).
        align_corners (bool): ``align_corners`` of the bilinear upsampling.
            Default False.
        conv_cfg, norm_cfg, act_cfg (dict, optional): Layer configs for
            ``ConvModule``. Defaults: None, BN, ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Optional[int] = None,
                 bins: Sequence[int] = (1, 2, 3, 6),
                 in_index: int = -1,
                 align_corners: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_positive_int('PyramidPooling in_channels', in_channels)
        if isinstance(bins, int) or not bins:
            raise ValueError('PyramidPooling bins: expected a non-empty '
                             f'sequence of positive ints, got {bins!r}')
        for b in bins:
            check_positive_int('PyramidPooling bin', b)
        if channels is None:
            channels = max(in_channels // len(bins), 1)
        check_positive_int('PyramidPooling channels', channels)
        self.in_channels = in_channels
        self.channels = channels
        self.bins = tuple(bins)
        self.in_index = in_index
        self.align_corners = align_corners
        self.out_channels = in_channels + len(self.bins) * channels
        self.stages = nn.ModuleList(
            nn.Sequential(
                nn.AdaptiveAvgPool2d(b),
                PooledConvModule(
                    in_channels,
                    channels,
                    1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg)) for b in self.bins)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Process one level: ``(N, in_channels, H, W)`` becomes
        ``(N, in_channels + len(bins) * channels, H, W)``; the tuple keeps its
        length and other levels.
        """
        inputs = list(inputs)
        x = inputs[self.in_index]
        if x.shape[1] != self.in_channels:
            raise ValueError(f'PyramidPooling input level {self.in_index}: '
                             f'expected {self.in_channels} channels, got '
                             f'{x.shape[1]}')
        outs = [x]
        outs.extend(
            resize(
                stage(x),
                size=x.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners) for stage in self.stages)
        inputs[self.in_index] = torch.cat(outs, dim=1)
        return tuple(inputs)
