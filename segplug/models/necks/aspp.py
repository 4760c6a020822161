"""Atrous Spatial Pyramid Pooling as a neck."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int


@MODELS.register_module()
class ASPP(BaseModule):
    """ASPP of `Rethinking Atrous Convolution for Semantic Image Segmentation
    <https://arxiv.org/abs/1706.05587>`_ (DeepLab v3).

    Runs parallel branches on one level of the backbone's features: a 1x1
    conv for each rate equal to 1 and a 3x3 atrous conv for each other rate,
    plus an image-level branch (global average pool, 1x1 conv, upsample).
    Their outputs are concatenated and projected to ``channels``. The
    processed level is replaced by the result; the other levels pass through
    unchanged, so a decoder head can still read low-level features.

    Args:
        in_channels (int): Channels of the processed feature level.
        channels (int): Channels of every branch and of the output. Default 256
            as in the paper.
        dilations (Sequence[int]): One branch per rate; a rate of 1 gives the
            1x1 branch. Default (1, 6, 12, 18), the paper's rates at output
            stride 16; double them at output stride 8.
        image_pool (bool): Add the image-level pooling branch. Default True.
        separable (bool): Use depthwise-separable 3x3 atrous branches as in
            DeepLab v3+. Default False.
        project_kernel_size (int): Kernel of the projection after the concat:
            1 as in the paper, 3 as in mmseg's ASPPHead. Default 1.
        dropout_ratio (float): Dropout after the projection. Default 0.
        in_index (int): Which input level to process. Default -1 (the last).
        conv_cfg, norm_cfg, act_cfg (dict, optional): Layer configs for
            ``ConvModule``. Defaults: None, BN, ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 256,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 image_pool: bool = True,
                 separable: bool = False,
                 project_kernel_size: int = 1,
                 dropout_ratio: float = 0.,
                 in_index: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_positive_int('in_channels', in_channels)
        check_positive_int('channels', channels)
        if isinstance(dilations, int) or not dilations:
            raise ValueError('ASPP dilations: expected a non-empty sequence '
                             f'of positive ints, got {dilations!r}')
        for d in dilations:
            check_positive_int('ASPP dilation', d)
        if project_kernel_size not in (1, 3):
            raise ValueError('ASPP project_kernel_size: expected 1 or 3, got '
                             f'{project_kernel_size!r}')
        if not 0 <= dropout_ratio < 1:
            raise ValueError('ASPP dropout_ratio: expected a value in [0, 1), '
                             f'got {dropout_ratio!r}')
        self.in_channels = in_channels
        self.channels = channels
        self.dilations = tuple(dilations)
        self.in_index = in_index
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(in_channels, channels, 1, **layer_cfg)
        ) if image_pool else None
        self.branches = nn.ModuleList(
            self._branch(d, separable, layer_cfg) for d in self.dilations)
        num_branches = len(self.dilations) + int(image_pool)
        self.project = ConvModule(
            num_branches * channels,
            channels,
            project_kernel_size,
            padding=project_kernel_size // 2,
            **layer_cfg)
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio else None

    def _branch(self, dilation: int, separable: bool,
                layer_cfg: dict) -> nn.Module:
        if dilation == 1:
            return ConvModule(self.in_channels, self.channels, 1, **layer_cfg)
        conv = DepthwiseSeparableConvModule if separable else ConvModule
        return conv(
            self.in_channels,
            self.channels,
            3,
            padding=dilation,
            dilation=dilation,
            **layer_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Process one level: ``(N, in_channels, H, W)`` becomes
        ``(N, channels, H, W)``; the tuple keeps its length and other levels.
        """
        inputs = list(inputs)
        x = inputs[self.in_index]
        if x.shape[1] != self.in_channels:
            raise ValueError(f'ASPP input level {self.in_index}: expected '
                             f'{self.in_channels} channels, got {x.shape[1]}')
        outs = []
        if self.image_pool is not None:
            outs.append(
                resize(self.image_pool(x), size=x.shape[2:], mode='bilinear'))
        outs.extend(branch(x) for branch in self.branches)
        out = self.project(torch.cat(outs, dim=1))
        if self.dropout is not None:
            out = self.dropout(out)
        inputs[self.in_index] = out
        return tuple(inputs)
