"""Convolutionalized VGG-16 with the hole (atrous) algorithm."""
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..utils.vgg_args import (ALL_LEVELS, LEVELS, STAGE_DEPTHS, check_vgg_args,
                              fc_layout, level_strides)


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
    ``fc_type`` presets fc6 and fc7; ``fc6_kernel``, ``fc6_dilation`` and
    ``fc_channels`` override its parts, which is how DeepLab v1's
    field-of-view study (its Table 2) varies fc6:

    ============================ ========== ===================== ========
    model (fc_type='fcn' unless  fc6_kernel fc6_dilation at OS 8  channels
    named)                                  ("input stride")
    ============================ ========== ===================== ========
    DeepLab-CRF-7x7              7          4                     4096
    DeepLab-CRF                  4          4                     4096
    DeepLab-CRF-4x4              4          8                     4096
    LargeFOV (``'largefov'``)    3          12                    1024
    ============================ ========== ===================== ========

    ``fc_type='fcn'``: fc6 7x7, dilation 1 at output stride 32, 4096
    channels; fc7 1x1. ``fc_type='largefov'`` (DeepLab-LargeFOV): fc6 3x3,
    dilation 3 at output stride 32, 1024 channels; fc7 1x1. The 3 is
    DeepLab's rate 12 at output stride 8 (its default), the spacing of the
    taps [0, 3, 6] that it keeps from the 7x7 ImageNet fc6. A preset's
    dilation scales with 32 / output_stride, so every output stride sees
    the same field of view; an explicit ``fc6_dilation`` is used as given.

    ``levels`` names what ``forward`` can return: by default pool3, pool4
    and fc7 (FCN's skips); the image and every pool can be added, as
    DeepLab-MSc's ``MultiScaleBranches`` read the image and pool1 to pool4.
    ``out_channels`` and ``strides`` hold each returned level's channels and
    stride.

    Args:
        channels (Sequence[int]): Output channels of the five conv stages.
            Default (64, 128, 256, 512, 512).
        output_stride (int): 8, 16 or 32. Default 32 (FCN); DeepLab uses 8.
        fc_type (str): 'fcn' or 'largefov', the preset of fc6 and fc7.
            Default 'fcn'.
        fc6_kernel (int, optional): fc6's kernel size. Default None: 7 for
            'fcn', 3 for 'largefov'.
        fc6_dilation (int, optional): fc6's dilation at this output stride
            (DeepLab v1's "input stride" at output stride 8); with an even
            kernel it must be even, so that fc6 keeps the map's size.
            Default None: the preset's, 32 / output_stride for 'fcn' and
            96 / output_stride for 'largefov'.
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
                 fc6_kernel: Optional[int] = None,
                 fc6_dilation: Optional[int] = None,
                 fc_channels: Optional[int] = None,
                 dropout: float = 0.5,
                 levels: Sequence[str] = LEVELS,
                 out_indices: Optional[Sequence[int]] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_vgg_args(
            channels=channels,
            output_stride=output_stride,
            fc_type=fc_type,
            fc6_kernel=fc6_kernel,
            fc6_dilation=fc6_dilation,
            fc_channels=fc_channels,
            dropout=dropout,
            levels=levels,
            out_indices=out_indices)
        if out_indices is None:
            out_indices = range(len(levels))
        self.fc6_kernel, self.fc6_dilation, self.fc_channels = fc_layout(
            fc_type, fc6_kernel, fc6_dilation, fc_channels, output_stride)
        self.channels = tuple(channels)
        self.output_stride = output_stride
        self.fc_type = fc_type
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
        self.fc6 = ConvModule(
            in_ch,
            self.fc_channels,
            self.fc6_kernel,
            padding=self.fc6_dilation * (self.fc6_kernel - 1) // 2,
            dilation=self.fc6_dilation,
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
        strides = level_strides(strided)
        self.strides = tuple(strides[i] for i in self._picked)

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

    def chain(self, upto: str = 'fc7') -> nn.Sequential:
        """The layers from the image to ``upto`` (a level of ``forward`` but
        'input', or 'fc6') in the order ``forward`` runs them, as one
        ``nn.Sequential`` of this model's own modules: stage1, pool1, ...,
        pool5, fc6, drop6, fc7, drop7. For walking the network, e.g. with
        :func:`~segplug.models.utils.receptive_field`."""
        ends = (*ALL_LEVELS[1:-1], 'fc6', 'fc7')
        if upto not in ends:
            raise ValueError(f'VGG16.chain upto: expected one of {ends}, '
                             f'got {upto!r}')
        layers = []
        for i, (stage, pool) in enumerate(zip(self.stages, self.pools), 1):
            layers += [(f'stage{i}', stage), (f'pool{i}', pool)]
        layers += [('fc6', self.fc6), ('drop6', self.drop6), ('fc7', self.fc7),
                   ('drop7', self.drop7)]
        names = [name for name, _ in layers]
        # an fc level includes its dropout, as forward's output does
        stop = names.index(upto) + (2 if upto.startswith('fc') else 1)
        return nn.Sequential(OrderedDict(layers[:stop]))

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
