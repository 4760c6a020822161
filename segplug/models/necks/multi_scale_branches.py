"""DeepLab v1's multi-scale (MSc) branches as a neck."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int


def _check_ints(name: str, values, what: str) -> None:
    if isinstance(values, int) or not isinstance(values, Sequence):
        raise TypeError(f'MultiScaleBranches {name}: expected a sequence of '
                        f'{what}, got {values!r}')
    for v in values:
        check_positive_int(f'MultiScaleBranches {name[:-1]}', v)


@MODELS.register_module()
class MultiScaleBranches(BaseModule):
    """The multi-scale prediction of `Semantic Image Segmentation with Deep
    Convolutional Nets and Fully Connected CRFs
    <https://arxiv.org/abs/1412.7062>`_ (DeepLab-MSc): a two-layer MLP on
    each finer level, concatenated with the last level before the
    classifier.

    Each level but the last gets a branch: a 3x3 conv to ``channels`` with
    stride ``strides[-1] // strides[i]`` (at least 1), then a 1x1 conv to
    ``channels``, each with its norm/activation and followed by dropout. As
    in the authors' released MSc models (VGG-16 at output stride 8; image,
    pool1 to pool4: strides 8, 4, 2, 1, 1), the stride brings the level to
    the last level's stride, and the 3x3 conv's padding of 1 gives exactly
    its size where the backbone rounds sizes up (ceil-mode pools, padded
    strided convs: ``ceil(n / s)``). Where the size still differs (strides
    that do not divide, a coarser level, floor-mode rounding), the branch's
    output is resized bilinearly to the last level's size. The last level
    and the branches are concatenated in that order; ``ClassifierHead``
    after it is the paper's classifier (a 1x1 conv on the aggregate, the
    same linear map as the released models' sum of a score layer per
    branch).

    Works on any backbone's levels: VGG-16 with ``levels=('input', 'pool1',
    'pool2', 'pool3', 'pool4', 'fc7')`` as in the paper, mmseg's ResNet
    stages, ...

    Args:
        in_channels (Sequence[int]): Channels of each input level, the last
            one the main feature (fc7 in the paper), at least two levels.
        strides (Sequence[int]): Stride of each input level with respect to
            the image, e.g. (1, 2, 4, 8, 8, 8) for ``VGG16`` at output
            stride 8 (its ``strides`` attribute).
        channels (int): Channels of both layers of each branch. Default 128
            as in the paper (5 x 128 = 640 extra channels on VGG-16).
        dropout_ratio (float): Dropout after each layer of each branch.
            Default 0.5, as in the authors' released DeepLab-MSc prototxts
            (the paper's text does not state it).
        align_corners (bool): ``align_corners`` of the bilinear resize.
            Default False.
        conv_cfg, norm_cfg, act_cfg (dict, optional): Layer configs for
            ``ConvModule``. Defaults: None, None (VGG-16 has no BN), ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 strides: Sequence[int],
                 channels: int = 128,
                 dropout_ratio: float = 0.5,
                 align_corners: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        _check_ints('in_channels', in_channels, 'positive ints')
        _check_ints('strides', strides, 'positive ints')
        if len(in_channels) < 2:
            raise ValueError('MultiScaleBranches in_channels: expected at '
                             f'least 2 levels, got {len(in_channels)}')
        if len(strides) != len(in_channels):
            raise ValueError(
                'MultiScaleBranches strides: expected one per level '
                f'({len(in_channels)}), got {len(strides)}')
        check_positive_int('MultiScaleBranches channels', channels)
        if not 0 <= dropout_ratio < 1:
            raise ValueError('MultiScaleBranches dropout_ratio: expected a '
                             f'value in [0, 1), got {dropout_ratio!r}')
        self.in_channels = tuple(in_channels)
        self.strides = tuple(strides)
        self.channels = channels
        self.align_corners = align_corners
        self.out_channels = in_channels[-1] + (len(in_channels) - 1) * channels
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.branches = nn.ModuleList(
            self._branch(c, max(strides[-1] // s, 1), dropout_ratio, layer_cfg)
            for c, s in zip(in_channels[:-1], strides[:-1]))

    def _branch(self, in_channels: int, stride: int, dropout_ratio: float,
                layer_cfg: dict) -> nn.Sequential:
        layers = [
            ConvModule(
                in_channels,
                self.channels,
                3,
                stride=stride,
                padding=1,
                **layer_cfg),
            ConvModule(self.channels, self.channels, 1, **layer_cfg)
        ]
        if dropout_ratio:
            layers.insert(1, nn.Dropout(dropout_ratio))
            layers.append(nn.Dropout(dropout_ratio))
        return nn.Sequential(*layers)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """Levels ``(N, in_channels[i], h_i, w_i)``, the last ``(N, C, h,
        w)``, to a 1-tuple of ``(N, out_channels, h, w)``, ``out_channels =
        C + (len(in_channels) - 1) * channels``.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError('MultiScaleBranches: expected '
                             f'{len(self.in_channels)} levels, got '
                             f'{len(inputs)}')
        for i, (x, c) in enumerate(zip(inputs, self.in_channels)):
            if x.shape[1] != c:
                raise ValueError(f'MultiScaleBranches input level {i}: '
                                 f'expected {c} channels, got {x.shape[1]}')
        main = inputs[-1]
        outs = [main]
        for branch, x in zip(self.branches, inputs[:-1]):
            out = branch(x)
            if out.shape[2:] != main.shape[2:]:
                out = resize(
                    out,
                    size=main.shape[2:],
                    mode='bilinear',
                    align_corners=self.align_corners)
            outs.append(out)
        return (torch.cat(outs, dim=1), )
