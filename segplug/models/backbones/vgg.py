"""Convolutionalized VGG-16 with the hole (atrous) algorithm."""
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int

STAGE_DEPTHS = (2, 2, 3, 3, 3)
FC_TYPES = {'fcn': (7, 1, 4096), 'largefov': (3, 3, 1024)}
LEVELS = ('pool3', 'pool4', 'fc7')
# Every level the network can return, in network order.
ALL_LEVELS = ('input', 'pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc7')


def _check_levels(levels, out_indices) -> None:
    if (isinstance(levels, str) or not isinstance(levels, Sequence)
            or not levels or any(name not in ALL_LEVELS for name in levels)):
        raise ValueError('VGG16 levels: expected a non-empty sequence of '
                         f'names among {ALL_LEVELS}, got {levels!r}')
    order = [ALL_LEVELS.index(name) for name in levels]
    if order != sorted(set(order)):
        raise ValueError('VGG16 levels: expected names in network order '
                         f'without repeats, got {tuple(levels)!r}')
    if out_indices is None:
        return
    if (isinstance(out_indices, int) or not out_indices
            or any(i not in range(len(levels)) for i in out_indices)
            or list(out_indices) != sorted(set(out_indices))):
        raise ValueError(
            'VGG16 out_indices: expected increasing indices among '
            f'0..{len(levels) - 1} {tuple(levels)}, got {out_indices!r}')


def _level_strides(strided: Sequence[bool]) -> Tuple[int, ...]:
    """Strides of ALL_LEVELS given which of the five pools are strided."""
    strides = [1]
    for pool_strided in strided:
        strides.append(strides[-1] * (2 if pool_strided else 1))
    return (*strides, strides[-1])


@MODELS.register_module()
class VGG16(BaseModule):
    """VGG-16 of `Very Deep Convolutional Networks for Large-Scale Image
    Recognition <https://arxiv.org/abs/1409.1556>`_, convolutionalized as in
    `Fully Convolutional Networks for Semantic Segmentation
    <https://arxiv.org/abs/1411.4038>`_ (FCN) and with the hole algorithm of
    `Semantic Image Segmentation with Deep Convolutional Nets and Fully
    Connected CRFs <https://arxiv.org/abs/1412.7062>`_ (DeepLab v1).

    Five stages of 3x3 convs (2, 2, 3, 3, 3 of them), each followed by a
    2x2 stride-2 max-pool (ceil mode, so odd sizes round up), then fc6 and
    fc7 as convolutions. Below output stride 32 the last strides are removed
    as in DeepLab: the pool becomes 3x3 stride 1 padding 1 and the convs
    after it are dilated to keep their field of view.

    ============= ========== ========== ============== ===================
    output_stride pool4      pool5      conv5 dilation fc6 dilation
    ============= ========== ========== ============== ===================
    32            stride 2   stride 2   1              1x base
    16            stride 2   stride 1   1              2x base
    8             stride 1   stride 1   2              4x base
    ============= ========== ========== ============== ===================

    fc6 keeps the spatial size (padding = dilation * (kernel - 1) / 2).
    ``fc_type='fcn'``: fc6 7x7, base dilation 1, 4096 channels; fc7 1x1.
    ``fc_type='largefov'`` (DeepLab-LargeFOV): fc6 3x3, base dilation 3,
    1024 channels; fc7 1x1. The base 3 is DeepLab's rate 12 at output stride
    8 (its default), the spacing of the taps [0, 3, 6] that it keeps from the
    7x7 ImageNet fc6, so every output stride sees the same field of view.

    ``levels`` names what ``forward`` can return: by default pool3, pool4
    and fc7 (FCN's skips); the image and every pool can be added, as
    DeepLab-MSc's ``MultiScaleBranches`` read the image and pool1 to pool4.
    ``out_channels`` and ``strides`` hold each returned level's channels and
    stride.

    Args:
        channels (Sequence[int]): Output channels of the five conv stages.
            Default (64, 128, 256, 512, 512).
        output_stride (int): 8, 16 or 32. Default 32 (FCN); DeepLab uses 8.
        fc_type (str): 'fcn' or 'largefov'. Default 'fcn'.
        fc_channels (int, optional): Channels of fc6 and fc7. Default None:
            4096 for 'fcn', 1024 for 'largefov'.
        dropout (float): Dropout ratio after fc6 and after fc7. Default 0.5.
        levels (Sequence[str]): The levels ``out_indices`` indexes, in network
            order, among 'input' (the image, stride 1), 'pool1' (2), 'pool2'
            (4), 'pool3' (8), 'pool4' (16, or 8 at output stride 8), 'pool5'
            (``output_stride``) and 'fc7' (``output_stride``). Default
            ('pool3', 'pool4', 'fc7'). DeepLab-MSc reads ('input', 'pool1',
            'pool2', 'pool3', 'pool4', 'fc7').
        out_indices (Sequence[int], optional): Indices into ``levels`` to
            return, increasing. Default None: all of them, so with the
            default levels (0, 1, 2) = (pool3, pool4, fc7).
        conv_cfg (dict, optional): Conv config. Default None.
        norm_cfg (dict, optional): Norm config. Default None: VGG has no BN.
        act_cfg (dict, optional): Activation config. Default ReLU.
        init_cfg (dict, optional): Initialisation config, e.g. a
            ``Pretrained`` checkpoint from ``tools/convert_vgg16.py``.
    """

    def __init__(self,
                 channels: Sequence[int] = (64, 128, 256, 512, 512),
                 output_stride: int = 32,
                 fc_type: str = 'fcn',
                 fc_channels: Optional[int] = None,
                 dropout: float = 0.5,
                 levels: Sequence[str] = LEVELS,
                 out_indices: Optional[Sequence[int]] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        _check_levels(levels, out_indices)
        self._check_args(channels, output_stride, fc_type, fc_channels,
                         dropout)
        if out_indices is None:
            out_indices = range(len(levels))
        kernel, base_dilation, default_fc = FC_TYPES[fc_type]
        self.channels = tuple(channels)
        self.output_stride = output_stride
        self.fc_type = fc_type
        self.fc_channels = fc_channels or default_fc
        self.levels = tuple(levels)
        self.out_indices = tuple(out_indices)
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        # Stages 4 and 5 (indices 3, 4) lose their pool stride below OS 32.
        strided = (True, True, True, output_stride > 8, output_stride > 16)
        self.stages = nn.ModuleList()
        self.pools = nn.ModuleList()
        in_ch, dilation = 3, 1
        for i, (depth, out_ch) in enumerate(zip(STAGE_DEPTHS, channels)):
            self.stages.append(
                self._stage(in_ch, out_ch, depth, dilation, layer_cfg))
            self.pools.append(
                nn.MaxPool2d(2, 2, ceil_mode=True) if strided[i] else nn.
                MaxPool2d(3, 1, padding=1))
            if not strided[i]:
                dilation *= 2
            in_ch = out_ch
        fc6_dilation = base_dilation * dilation
        self.fc6 = ConvModule(
            in_ch,
            self.fc_channels,
            kernel,
            padding=fc6_dilation * (kernel - 1) // 2,
            dilation=fc6_dilation,
            **layer_cfg)
        self.fc7 = ConvModule(self.fc_channels, self.fc_channels, 1,
                              **layer_cfg)
        self.drop6 = nn.Dropout(dropout)
        self.drop7 = nn.Dropout(dropout)
        self._describe_levels(strided)

    def _describe_levels(self, strided: Sequence[bool]) -> None:
        # Positions in ALL_LEVELS of the returned levels.
        self._picked = tuple(
            ALL_LEVELS.index(self.levels[i]) for i in self.out_indices)
        level_channels = (3, *self.channels, self.fc_channels)
        self.out_channels = tuple(level_channels[i] for i in self._picked)
        level_strides = _level_strides(strided)
        self.strides = tuple(level_strides[i] for i in self._picked)

    @staticmethod
    def _stage(in_ch: int, out_ch: int, depth: int, dilation: int,
               layer_cfg: dict) -> nn.Sequential:
        return nn.Sequential(*[
            ConvModule(
                in_ch if j == 0 else out_ch,
                out_ch,
                3,
                padding=dilation,
                dilation=dilation,
                **layer_cfg) for j in range(depth)
        ])

    @staticmethod
    def _check_args(channels, output_stride, fc_type, fc_channels,
                    dropout) -> None:
        if isinstance(channels, int) or len(channels) != len(STAGE_DEPTHS):
            raise ValueError('VGG16 channels: expected 5 positive ints, got '
                             f'{channels!r}')
        for c in channels:
            check_positive_int('VGG16 channel', c)
        if output_stride not in (8, 16, 32):
            raise ValueError('VGG16 output_stride: expected 8, 16 or 32, got '
                             f'{output_stride!r}')
        if fc_type not in FC_TYPES:
            raise ValueError("VGG16 fc_type: expected 'fcn' or 'largefov', "
                             f'got {fc_type!r}')
        if fc_channels is not None:
            check_positive_int('VGG16 fc_channels', fc_channels)
        if not 0 <= dropout < 1:
            raise ValueError('VGG16 dropout: expected a value in [0, 1), got '
                             f'{dropout!r}')

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Image ``(N, 3, H, W)`` to the selected levels, each
        ``(N, C, ceil(H / s), ceil(W / s))`` with C and s its entries of
        ``out_channels`` and ``strides``: the image itself (3, 1), pool1 to
        pool5 (``channels[i]``; 2, 4, 8, min(16, os), os) and fc7
        (``fc_channels``, os); by default pool3, pool4 and fc7.
        """
        levels: List[Tensor] = [x]
        for stage, pool in zip(self.stages, self.pools):
            x = pool(stage(x))
            levels.append(x)
        x = self.drop6(self.fc6(x))
        levels.append(self.drop7(self.fc7(x)))
        return tuple(levels[i] for i in self._picked)
