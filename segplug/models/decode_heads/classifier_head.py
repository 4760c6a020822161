"""A plain per-pixel classifier head."""
from typing import Sequence

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int


@MODELS.register_module()
class ClassifierHead(BaseDecodeHead):
    """The classifier of `Fully Convolutional Networks for Semantic
    Segmentation <https://arxiv.org/abs/1411.4038>`_: dropout and a 1x1 conv
    on one feature level, nothing else.

    FCN's score layers (and DeepLab v1's fc8) sit right on the features; the
    fusion of several levels is the ``FCNSkipFusion`` neck's job. As the
    classifier reads its input directly, ``channels`` is ``in_channels``.
    When the input already holds class scores (``in_channels`` equals the
    number of outputs, as after FCN's fusion) the classifier starts as the
    identity, so the model starts as the paper's and the extra 1x1 conv only
    learns a recalibration.

    Args:
        in_channels (int): Channels of the classified level.
        in_index (int): Which input level to classify. Default -1 (the last).
        dropout_ratio (float): Dropout before the classifier. Default 0: the
            papers' dropout sits after fc6/fc7, in the backbone.
        **kwargs: Passed to mmseg's ``BaseDecodeHead`` (num_classes,
            loss_decode, align_corners, init_cfg, ...).
    """

    def __init__(self,
                 in_channels: int,
                 in_index: int = -1,
                 dropout_ratio: float = 0.,
                 **kwargs):
        check_positive_int('ClassifierHead in_channels', in_channels)
        if isinstance(in_index, bool) or not isinstance(in_index, int):
            raise TypeError('ClassifierHead in_index: expected an int, got '
                            f'{in_index!r}')
        if not 0 <= dropout_ratio < 1:
            raise ValueError('ClassifierHead dropout_ratio: expected a value '
                             f'in [0, 1), got {dropout_ratio!r}')
        channels = kwargs.pop('channels', in_channels)
        if channels != in_channels:
            raise ValueError('ClassifierHead channels: expected in_channels '
                             f'({in_channels}), got {channels!r}')
        if kwargs.pop('input_transform', None) is not None:
            raise ValueError('ClassifierHead input_transform: expected None '
                             '(one level), got another value')
        super().__init__(
            in_channels,
            in_channels,
            in_index=in_index,
            dropout_ratio=dropout_ratio,
            **kwargs)

    def init_weights(self) -> None:
        super().init_weights()
        conv = self.conv_seg
        if conv.in_channels == conv.out_channels:
            with torch.no_grad():
                conv.weight.copy_(
                    torch.eye(conv.out_channels)[..., None, None])
                conv.bias.zero_()

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Level ``in_index`` of the inputs, ``(N, in_channels, H, W)``, to
        logits ``(N, num_classes, H, W)``."""
        return self.cls_seg(self._transform_inputs(inputs))
