"""The expansive path of U-Net, as a decode head for any backbone."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int, pop_multiple_select


def center_crop(x: Tensor, size: Sequence[int]) -> Tensor:
    """Crop the last two dims of ``x`` to ``size`` around the centre."""
    top = (x.shape[-2] - size[0]) // 2
    left = (x.shape[-1] - size[1]) // 2
    return x[..., top:top + size[0], left:left + size[1]]


@MODELS.register_module()
class UNetHead(BaseDecodeHead):
    """Expansive path of `U-Net: Convolutional Networks for Biomedical Image
    Segmentation <https://arxiv.org/abs/1505.04597>`_.

    Starts from the coarsest input level; for each finer level it upsamples
    x2 while setting the channels to the skip's, concatenates the skip and
    applies two 3x3 conv blocks, then classifies the finest level. Each
    decoder level keeps its skip's channel count (the paper's halving for
    ``UNetEncoder``, and 2048 -> 1024 -> 512 -> 256 for ResNet), so any
    backbone's fine-to-coarse levels work; the finest level outputs
    ``channels``.

    When the skip is not exactly twice the current size (odd sizes,
    dilated backbones with equal-size levels, other strides), the upsampled
    map is resized (bilinear) to the skip's size instead. In 'valid' mode
    the skip is centre-cropped to the upsampled map as in the paper, and
    the output is smaller than the input (388 for 572 with ``UNetEncoder``):
    the loss then reads the centre of the labels that the output covers,
    and full-size predictions need the overlap-tile (mirror-padded) test
    mode of ``SegplugEncoderDecoder``.

    Args:
        in_channels (Sequence[int]): Channels of the input levels, fine to
            coarse; at least two.
        channels (int): Channels of the finest decoder level, fed to the
            classifier. Default 64 as in the paper.
        in_index (Sequence[int], optional): Indices of those levels in the
            backbone's tuple. Default None: ``0 .. len(in_channels) - 1``.
        upsample (str): 'deconv' (2x2 transposed conv with stride 2, the
            paper's up-convolution) or 'bilinear' (bilinear resize and a
            1x1 conv). Both are linear, as in the paper. Default 'deconv'.
        padding (str): 'same' (3x3 convs pad 1) or 'valid' (no padding, the
            paper). Default 'same'.
        **kwargs: Passed to mmseg's ``BaseDecodeHead`` (num_classes,
            norm_cfg, act_cfg, loss_decode, align_corners, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 64,
                 in_index: Optional[Sequence[int]] = None,
                 upsample: str = 'deconv',
                 padding: str = 'same',
                 **kwargs):
        if isinstance(in_channels, int) or len(in_channels) < 2:
            raise ValueError('UNetHead in_channels: expected a sequence of '
                             f'at least 2 levels, got {in_channels!r}')
        for c in in_channels:
            check_positive_int('UNetHead in_channels', c)
        if in_index is None:
            in_index = range(len(in_channels))
        if isinstance(in_index, int) or len(in_index) != len(in_channels):
            raise ValueError(f'UNetHead in_index: expected {len(in_channels)}'
                             f' indices, got {in_index!r}')
        if upsample not in ('deconv', 'bilinear'):
            raise ValueError("UNetHead upsample: expected 'deconv' or "
                             f"'bilinear', got {upsample!r}")
        if padding not in ('same', 'valid'):
            raise ValueError("UNetHead padding: expected 'same' or 'valid', "
                             f'got {padding!r}')
        pop_multiple_select(kwargs, 'UNetHead')
        super().__init__(
            list(in_channels),
            channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            **kwargs)
        self.upsample = upsample
        self.padding = padding
        self._label_size = None
        layer_cfg = dict(
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.ups = nn.ModuleList()
        self.convs = nn.ModuleList()
        # Decoder level i takes level i + 1's output, which has
        # in_channels[i + 1] channels (the bottom's too), and ends with its
        # skip's channels, or ``channels`` at the finest level.
        for i in range(len(in_channels) - 2, -1, -1):
            skip = in_channels[i]
            out = channels if i == 0 else skip
            self.ups.append(self._up_layer(in_channels[i + 1], skip))
            self.convs.append(
                nn.Sequential(
                    ConvModule(
                        2 * skip,
                        out,
                        3,
                        padding=int(padding == 'same'),
                        **layer_cfg),
                    ConvModule(
                        out,
                        out,
                        3,
                        padding=int(padding == 'same'),
                        **layer_cfg)))

    def _up_layer(self, in_channels: int, out_channels: int) -> nn.Module:
        if self.upsample == 'deconv':
            return ConvModule(
                in_channels,
                out_channels,
                2,
                stride=2,
                conv_cfg=dict(type='deconv'),
                norm_cfg=None,
                act_cfg=None)
        return ConvModule(
            in_channels,
            out_channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=None,
            act_cfg=None)

    def _upsample(self, up: nn.Module, x: Tensor,
                  skip: Tensor) -> Tuple[Tensor, Tensor]:
        """Upsample ``x`` to the skip's level; return it and the matching
        (cropped in 'valid' mode) skip."""
        target = tuple(skip.shape[2:])
        doubled = (2 * x.shape[2], 2 * x.shape[3])
        fits = doubled == target or (self.padding == 'valid'
                                     and all(d <= t
                                             for d, t in zip(doubled, target)))
        size = doubled if fits else target
        if self.upsample == 'deconv':
            x = up(x)
            if not fits:
                x = resize(
                    x,
                    size=size,
                    mode='bilinear',
                    align_corners=self.align_corners)
        else:
            # The 1x1 conv and the bilinear resize are both linear and
            # commute; convolving first costs 4x fewer pixels.
            x = resize(
                up(x),
                size=size,
                mode='bilinear',
                align_corners=self.align_corners)
        return x, center_crop(skip, size)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Inputs: the backbone's tuple; the selected levels are
        ``(N, in_channels[i], H_i, W_i)``, fine to coarse. Output: logits
        ``(N, num_classes, H_0, W_0)`` in 'same' mode; in 'valid' mode each
        level's two convs take 4 pixels, e.g. ``unet_output_size(H)`` for a
        valid ``UNetEncoder``.
        """
        feats = self._transform_inputs(inputs)
        x = feats[-1]
        for up, convs, skip in zip(self.ups, self.convs, feats[-2::-1]):
            x, skip = self._upsample(up, x, skip)
            if self.padding == 'valid' and min(x.shape[2:]) < 5:
                raise ValueError(
                    'UNetHead valid padding: expected upsampled maps of at '
                    f'least 5x5 for two 3x3 convs, got {tuple(x.shape[2:])}')
            x = convs(torch.cat([skip, x], dim=1))
        return self.cls_seg(x)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples) -> dict:
        """mmseg's loss; in 'valid' mode against the centre of the labels
        that the smaller output covers, not labels squeezed onto it."""
        if self.padding == 'valid':
            self._label_size = tuple(seg_logits.shape[2:])
        return super().loss_by_feat(seg_logits, batch_data_samples)

    def _stack_batch_gt(self, batch_data_samples) -> Tensor:
        labels = super()._stack_batch_gt(batch_data_samples)
        if self._label_size is None:
            return labels
        return center_crop(labels, self._label_size)

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        if self.padding == 'valid':
            raise ValueError(
                "UNetHead padding='valid' predicts only the image centre: "
                "expected test_cfg mode='overlap_tile' (SegplugEncoderDecoder)"
                ' with margin equal to the border the network loses')
        return super().predict_by_feat(seg_logits, batch_img_metas)
