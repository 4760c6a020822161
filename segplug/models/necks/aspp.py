"""Atrous Spatial Pyramid Pooling as a neck, in DeepLab v2's and v3's
forms."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule, build_conv_layer
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import PooledConvModule, check_positive_int

DEFAULT_DILATIONS = {'concat': (1, 6, 12, 18), 'sum': (6, 12, 18, 24)}


def _check_sum_options(image_pool, separable, hidden) -> None:
    if image_pool:
        raise ValueError("ASPP image_pool: expected False in 'sum' mode, got "
                         'True')
    if separable:
        raise ValueError("ASPP separable: expected False in 'sum' mode, got "
                         'True')
    if hidden is not None:
        check_positive_int('ASPP sum_hidden_channels', hidden)


def _classifier_branch(in_channels: int, channels: int, dilation: int,
                       hidden: Optional[int], dropout_ratio: float,
                       layer_cfg: dict) -> nn.Sequential:
    """One DeepLab v2 branch: [3x3 atrous, 1x1 (hidden, with norm/act)],
    then a plain conv with bias to ``channels``, initialised N(0, 0.01) as
    in the paper's classifiers."""
    layers = []
    if hidden is not None:
        layers.append(
            ConvModule(
                in_channels,
                hidden,
                3,
                padding=dilation,
                dilation=dilation,
                **layer_cfg))
        if dropout_ratio:
            layers.append(nn.Dropout2d(dropout_ratio))
        layers.append(ConvModule(hidden, hidden, 1, **layer_cfg))
    first = hidden is None
    if dropout_ratio:
        layers.append(nn.Dropout2d(dropout_ratio))
    classifier = build_conv_layer(
        layer_cfg['conv_cfg'],
        in_channels if first else hidden,
        channels,
        3 if first else 1,
        padding=dilation if first else 0,
        dilation=dilation if first else 1)
    nn.init.normal_(classifier.weight, std=0.01)
    nn.init.zeros_(classifier.bias)
    return nn.Sequential(*layers, classifier)


@MODELS.register_module()
class ASPP(BaseModule):
    """Atrous spatial pyramid pooling: parallel atrous branches on one level
    of the backbone's features. The processed level is replaced by the
    result; the other levels pass through unchanged, so a decoder head can
    still read low-level features.

    ``mode='concat'``, as in `Rethinking Atrous Convolution for Semantic Image
    Segmentation <https://arxiv.org/abs/1706.05587>`_ (DeepLab v3): a 1x1
    conv for each rate equal to 1 and a 3x3 atrous conv for each other rate,
    plus an image-level branch (global average pool, 1x1 conv, upsample),
    concatenated and projected to ``channels``.

    ``mode='sum'``, as in `DeepLab: Semantic Image Segmentation with Deep
    Convolutional Nets, Atrous Convolution, and Fully Connected CRFs
    <https://arxiv.org/abs/1606.00915>`_ (DeepLab v2): each rate has its own
    classifier branch, a 3x3 atrous conv straight to ``channels`` (the
    ResNet-101 model) or, with ``sum_hidden_channels``, 3x3 atrous then two
    1x1 convs (the VGG-16 model's fc6-fc7-fc8); the branches are summed.
    Set ``channels`` to the number of classes: the sum is then the class
    scores, and a ``ClassifierHead`` after it starts as the identity.

    Batch size 1 trains: the image-level branch is a ``PooledConvModule``,
    whose BN, given one value per channel (one pooled image), normalises
    with its running statistics for that step instead of failing as BN does
    ('Expected more than 1 value per channel'); batches of 2+ are unchanged.

    Args:
        in_channels (int): Channels of the processed feature level.
        channels (int): Channels of every branch and of the output. Default 256
            as in the v3 paper.
        dilations (Sequence[int], optional): One branch per rate; in 'concat'
            mode a rate of 1 gives the 1x1 branch. Default None: (1, 6, 12,
            18) in 'concat' mode, v3's rates at output stride 16 (double them
            at output stride 8); (6, 12, 18, 24) in 'sum' mode, v2's ASPP-L.
        mode (str): 'concat' (v3) or 'sum' (v2). Default 'concat'.
        image_pool (bool, optional): Add the image-level pooling branch.
            Default None: True in 'concat' mode; 'sum' mode has none.
        separable (bool): Use depthwise-separable 3x3 atrous branches as in
            DeepLab v3+ ('concat' mode only). Default False.
        project_kernel_size (int): Kernel of the projection after the concat:
            1 as in the paper, 3 as in mmseg's ASPPHead. Default 1.
        sum_hidden_channels (int, optional): Width of the hidden layers of
            each 'sum' branch. Default None: one conv per branch.
        dropout_ratio (float): Dropout after the projection ('concat') or
            before each branch's last conv ('sum'; v2's VGG model uses 0.5).
            Default 0.
        in_index (int): Which input level to process. Default -1 (the last).
        conv_cfg, norm_cfg, act_cfg (dict, optional): Layer configs for
            ``ConvModule``. Defaults: None, BN, ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 256,
                 dilations: Optional[Sequence[int]] = None,
                 mode: str = 'concat',
                 image_pool: Optional[bool] = None,
                 separable: bool = False,
                 project_kernel_size: int = 1,
                 sum_hidden_channels: Optional[int] = None,
                 dropout_ratio: float = 0.,
                 in_index: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_positive_int('in_channels', in_channels)
        check_positive_int('channels', channels)
        if mode not in DEFAULT_DILATIONS:
            raise ValueError("ASPP mode: expected 'concat' or 'sum', got "
                             f'{mode!r}')
        if dilations is None:
            dilations = DEFAULT_DILATIONS[mode]
        if image_pool is None:
            image_pool = mode == 'concat'
        if mode == 'sum':
            _check_sum_options(image_pool, separable, sum_hidden_channels)
        elif sum_hidden_channels is not None:
            raise ValueError('ASPP sum_hidden_channels: expected None in '
                             f"'concat' mode, got {sum_hidden_channels!r}")
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
        self.mode = mode
        self.in_index = in_index
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        if mode == 'sum':
            self.image_pool = self.project = self.dropout = None
            self.branches = nn.ModuleList(
                _classifier_branch(in_channels, channels, d,
                                   sum_hidden_channels, dropout_ratio,
                                   layer_cfg) for d in self.dilations)
            return

        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            PooledConvModule(in_channels, channels, 1, **
                             layer_cfg)) if image_pool else None
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
        if self.mode == 'sum':
            inputs[self.in_index] = sum(branch(x) for branch in self.branches)
            return tuple(inputs)
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
