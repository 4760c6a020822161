"""The DeepLab v3+ decoder."""
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int, pop_multiple_select


@MODELS.register_module()
class DeepLabV3PlusHead(BaseDecodeHead):
    """Decoder of `Encoder-Decoder with Atrous Separable Convolution for
    Semantic Image Segmentation <https://arxiv.org/abs/1802.02611>`_.

    Upsamples the encoder output (e.g. from the ``ASPP`` neck) to the size of
    a low-level backbone feature, concatenates it with that feature reduced
    by a 1x1 conv, refines with 3x3 convs and classifies.

    Args:
        in_channels (Sequence[int]): Channels of (low-level, encoder) inputs.
        in_index (Sequence[int]): Their indices in the input tuple.
            Default (0, -1): the first (stride 4) and last levels.
        channels (int): Channels of the refine convs. Default 256 as in the
            paper.
        low_level_channels (int): Channels the low-level feature is reduced
            to. Default 48 as in the paper.
        num_convs (int): Number of 3x3 refine convs. Default 2.
        separable (bool): Depthwise-separable refine convs, as in the paper.
            Default True.
        **kwargs: Passed to mmseg's ``BaseDecodeHead`` (num_classes,
            norm_cfg, loss_decode, align_corners, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 256,
                 in_index: Sequence[int] = (0, -1),
                 low_level_channels: int = 48,
                 num_convs: int = 2,
                 separable: bool = True,
                 **kwargs):
        if isinstance(in_channels, int) or len(in_channels) != 2:
            raise ValueError('DeepLabV3PlusHead in_channels: expected '
                             '(low_level, encoder) channels, got '
                             f'{in_channels!r}')
        if isinstance(in_index, int) or len(in_index) != 2:
            raise ValueError('DeepLabV3PlusHead in_index: expected '
                             f'(low_level, encoder) indices, got {in_index!r}')
        pop_multiple_select(kwargs, 'DeepLabV3PlusHead')
        check_positive_int('low_level_channels', low_level_channels)
        check_positive_int('num_convs', num_convs)
        super().__init__(
            list(in_channels),
            channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            **kwargs)
        low_in, enc_in = in_channels
        layer_cfg = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.low_level_reduce = ConvModule(low_in, low_level_channels, 1,
                                           **layer_cfg)
        conv = DepthwiseSeparableConvModule if separable else ConvModule
        self.refine = nn.Sequential(*[
            conv(
                (enc_in + low_level_channels) if i == 0 else channels,
                channels,
                3,
                padding=1,
                **layer_cfg) for i in range(num_convs)
        ])

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Inputs: a tuple holding ``(N, C_low, H/4, W/4)`` and
        ``(N, C_enc, h, w)`` at the configured indices. Output: logits
        ``(N, num_classes, H/4, W/4)``.
        """
        low, enc = self._transform_inputs(inputs)
        enc = resize(
            enc,
            size=low.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        x = torch.cat([enc, self.low_level_reduce(low)], dim=1)
        return self.cls_seg(self.refine(x))
