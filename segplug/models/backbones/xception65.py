"""Aligned Xception-65, the atrous backbone of DeepLab v3+."""
from numbers import Real
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import check_positive_int
from ..utils.xception_blocks import XceptionBlock

STEM_CHANNELS = (32, 64)
# (out_channels of the three convs, stride) of the entry-flow blocks, the
# middle-flow block (repeated) and the exit-flow block with a shortcut.
ENTRY_FLOW = (((128, ) * 3, 2), ((256, ) * 3, 2), ((728, ) * 3, 2))
MIDDLE_FLOW = ((728, ) * 3, 1)
EXIT_FLOW = ((728, 1024, 1024), 2)
EXIT_CONVS = (1536, 1536, 2048)
# Index of the stride-4 entry-flow block whose pre-stride feature feeds the
# DeepLab v3+ decoder (timm's feature_info at reduction 4).
LOW_LEVEL_BLOCK = 1
NUM_LEVELS = 4


def _scale(channels: int, width_mult: float) -> int:
    return max(8, int(round(channels * width_mult / 8)) * 8)


@MODELS.register_module()
class Xception65(BaseModule):
    """Aligned Xception-65 of `Encoder-Decoder with Atrous Separable
    Convolution for Semantic Image Segmentation
    <https://arxiv.org/abs/1802.02611>`_ (DeepLab v3+), laid out as timm's
    ``xception65`` (``timm/models/xception_aligned.py``, itself a port of TF
    DeepLab's ``xception_65``) so that its ImageNet weights load through
    ``convert_timm_xception65`` and give the same features.

    Stem: 3x3 stride-2 conv 32, 3x3 conv 64 (conv-BN-act). Entry flow:
    blocks of 128, 256 and 728 channels, each three separable 3x3 convs
    whose last one is strided (no max-pool) plus a strided 1x1 conv
    shortcut. Middle flow: ``num_middle_blocks`` blocks of three separable
    convs 728 with identity shortcut. Exit flow: a block (728, 1024, 1024),
    strided, with a 1x1 shortcut, then separable convs 1536, 1536, 2048
    without shortcut. See ``XceptionBlock`` for where the activations sit.

    Once ``output_stride`` is reached, later strides become 1 and the
    dilation of the following blocks doubles instead (as timm and DeepLab):
    at output stride 16 the exit-flow separable convs have dilation 2; at 8
    the middle flow has dilation 2 and the exit-flow convs 4.

    Levels, selected by ``out_indices`` (channels at ``width_mult=1``):
    0, the low-level feature, input of the third conv of the 256-channel
    entry block after its activation (256, stride 4, timm's
    ``blocks.1.stack.act3``); 1, that block's output (256, stride 8); 2,
    the middle flow's output (728, stride min(16, output_stride)); 3, the
    last feature (2048, stride ``output_stride``). The default (0, 3) is
    what DeepLab v3+ reads; (1, 2, 3) at output stride 32 feeds FCN-style
    skip fusion. ``self.out_channels`` lists the selected levels' channels.

    Args:
        in_channels (int): Input image channels. Default 3.
        output_stride (int): 8, 16 or 32. Default 16 (DeepLab v3+ training).
        num_middle_blocks (int): Middle-flow blocks. Default 16; fewer give
            a cheaper net for tests and small data.
        width_mult (float): Scales every channel count, rounded to a
            multiple of 8 (at least 8). Default 1.0 (exact).
        out_indices (Sequence[int]): Levels to return, increasing, from 0
            to 3 (see above). Default (0, 3).
        conv_cfg (dict, optional): Conv config. Default None.
        norm_cfg (dict, optional): Norm config. Default BN with eps 1e-3, the
            TF/timm value the pretrained statistics were computed with.
        act_cfg (dict, optional): Activation config. Default ReLU.
        norm_eval (bool): Keep BN layers in eval mode (frozen statistics)
            while training. Default False.
        init_cfg (dict, optional): Initialisation config, e.g. a
            ``Pretrained`` checkpoint from ``tools/convert_xception65.py``.
    """

    def __init__(self,
                 in_channels: int = 3,
                 output_stride: int = 16,
                 num_middle_blocks: int = 16,
                 width_mult: float = 1.0,
                 out_indices: Sequence[int] = (0, 3),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN', eps=1e-3),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self._check_args(in_channels, output_stride, num_middle_blocks,
                         width_mult)
        if (isinstance(out_indices, int) or not out_indices
                or list(out_indices) != sorted(set(out_indices))
                or not set(out_indices) <= set(range(NUM_LEVELS))):
            raise ValueError('Xception65 out_indices: expected increasing '
                             f'indices in 0..{NUM_LEVELS - 1}, got '
                             f'{out_indices!r}')
        self.output_stride = output_stride
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        stem = [_scale(c, width_mult) for c in STEM_CHANNELS]
        self.stem = nn.Sequential(
            ConvModule(
                in_channels, stem[0], 3, stride=2, padding=1, **layer_cfg),
            ConvModule(stem[0], stem[1], 3, padding=1, **layer_cfg))
        cfgs = [*ENTRY_FLOW, *[MIDDLE_FLOW] * num_middle_blocks, EXIT_FLOW]
        self.blocks = nn.Sequential()
        in_ch, stride, dilation = stem[1], 2, 1
        for channels, block_stride in cfgs:
            channels = [_scale(c, width_mult) for c in channels]
            if block_stride > 1 and stride * block_stride > output_stride:
                # As timm/DeepLab: this block keeps its dilation, the
                # blocks after it make up for the dropped stride.
                next_dilation, block_stride = dilation * block_stride, 1
            else:
                next_dilation = dilation
            stride *= block_stride
            self.blocks.append(
                XceptionBlock(in_ch, channels, block_stride, dilation,
                              **layer_cfg))
            in_ch, dilation = channels[-1], next_dilation
        last = [_scale(c, width_mult) for c in EXIT_CONVS]
        self.blocks.append(
            XceptionBlock(
                in_ch,
                last,
                1,
                dilation,
                start_with_relu=False,
                no_skip=True,
                **layer_cfg))
        low = _scale(ENTRY_FLOW[LOW_LEVEL_BLOCK][0][1], width_mult)
        level_channels = (low, low, _scale(MIDDLE_FLOW[0][-1],
                                           width_mult), last[-1])
        self.out_channels = tuple(level_channels[i] for i in out_indices)

    @staticmethod
    def _check_args(in_channels, output_stride, num_middle_blocks,
                    width_mult) -> None:
        check_positive_int('Xception65 in_channels', in_channels)
        if (not isinstance(output_stride, int)
                or output_stride not in (8, 16, 32)):
            raise ValueError('Xception65 output_stride: expected 8, 16 or '
                             f'32, got {output_stride!r}')
        check_positive_int('Xception65 num_middle_blocks', num_middle_blocks)
        if isinstance(width_mult, bool) or not isinstance(width_mult, Real):
            raise TypeError('Xception65 width_mult: expected a positive '
                            f'number, got {type(width_mult).__name__} '
                            f'{width_mult!r}')
        if not width_mult > 0:
            raise ValueError('Xception65 width_mult: expected a positive '
                             f'number, got {width_mult!r}')

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Image ``(N, in_channels, H, W)`` to the levels of ``out_indices``;
        by default ``(low_level, out)``: ``(N, out_channels[0], ceil(H/4),
        ceil(W/4))`` and ``(N, out_channels[1], ceil(H/os), ceil(W/os))``.
        """
        x = self.stem(x)
        levels: List[Tensor] = []
        middle_end = len(self.blocks) - 3
        for i, block in enumerate(self.blocks):
            if i == LOW_LEVEL_BLOCK:
                x, low_level = block.forward_with_feature(x)
                levels += [low_level, x]
            else:
                x = block(x)
            if i == middle_end:
                levels.append(x)
        levels.append(x)
        return tuple(levels[i] for i in self.out_indices)

    def train(self, mode: bool = True) -> 'Xception65':
        """Set train/eval mode; BN stays in eval mode under ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
