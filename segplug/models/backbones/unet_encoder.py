"""The contracting path of U-Net."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_positive_int
from ..utils.unet_sizes import unet_encoder_sizes


@MODELS.register_module()
class UNetEncoder(BaseModule):
    """Contracting path of `U-Net: Convolutional Networks for Biomedical
    Image Segmentation <https://arxiv.org/abs/1505.04597>`_.

    Each level applies two 3x3 conv + norm + activation blocks; a 2x2 max-pool
    with stride 2 separates the levels and the channels double at each level.
    Returns every selected level's output before its pooling, fine to
    coarse, as the skips of a ``UNetHead``.

    With ``padding='valid'`` (the paper) each level loses 4 pixels and the
    size must be even before each pooling, so only some input sizes work
    (572 gives levels 568, 280, 136, 64, 28); other sizes raise a
    ``ValueError`` naming the nearest valid ones (see
    ``segplug.models.utils.unet_sizes``). With ``padding='same'`` every size
    works: level ``i`` has side ``ceil(H / 2**i)``.

    Args:
        in_channels (int): Input image channels. Default 3.
        base_channels (int): Channels of the first level; level ``i`` has
            ``base_channels * 2**i``. Default 64 as in the paper.
        num_levels (int): Number of levels (pooling steps + 1). Default 5 as
            in the paper.
        padding (str): 'valid' (unpadded convs, the paper) or 'same' (pad 1).
            Default 'valid'.
        out_indices (Sequence[int], optional): Levels to return, each in
            ``[0, num_levels)``. Default None: all levels.
        conv_cfg (dict, optional): Conv layer config. Default None.
        norm_cfg (dict, optional): Norm layer config, e.g. ``dict(type='BN')``.
            Default None: the paper has no normalisation.
        act_cfg (dict, optional): Activation config. Default ReLU.
        init_cfg (dict, optional): Initialisation config. Default None:
            ``ConvModule`` initialises its convs with He's normal init, the
            paper's choice.
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 num_levels: int = 5,
                 padding: str = 'valid',
                 out_indices: Optional[Sequence[int]] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        check_positive_int('in_channels', in_channels)
        check_positive_int('base_channels', base_channels)
        check_positive_int('num_levels', num_levels)
        if padding not in ('same', 'valid'):
            raise ValueError("UNetEncoder padding: expected 'same' or "
                             f"'valid', got {padding!r}")
        self.in_channels = in_channels
        self.num_levels = num_levels
        self.padding = padding
        self.out_indices = self._check_out_indices(out_indices, num_levels)
        layer_cfg = dict(
            padding=1 if padding == 'same' else 0,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.levels = nn.ModuleList()
        channels = in_channels
        for level in range(num_levels):
            out = base_channels * 2**level
            self.levels.append(
                nn.Sequential(
                    ConvModule(channels, out, 3, **layer_cfg),
                    ConvModule(out, out, 3, **layer_cfg)))
            channels = out
        # ceil_mode keeps the last row/column of odd 'same' sizes; 'valid'
        # sizes are checked to be even, where ceil and floor agree.
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)

    @staticmethod
    def _check_out_indices(out_indices: Optional[Sequence[int]],
                           num_levels: int) -> Tuple[int, ...]:
        if out_indices is None:
            return tuple(range(num_levels))
        if isinstance(out_indices, int) or not out_indices or any(
                isinstance(i, bool) or not isinstance(i, int)
                or not 0 <= i < num_levels for i in out_indices):
            raise ValueError(
                'UNetEncoder out_indices: expected a non-empty sequence of '
                f'ints in [0, {num_levels}), got {out_indices!r}')
        return tuple(out_indices)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Input ``(N, in_channels, H, W)``. Output: for each index ``i`` in
        ``out_indices``, ``(N, base_channels * 2**i, h_i, w_i)`` with
        ``h_i = unet_encoder_sizes(H, num_levels, padding)[i]``
        (``ceil(H / 2**i)`` in 'same' mode).
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'UNetEncoder input: expected (N, {self.in_channels}, H, W), '
                f'got {tuple(x.shape)}')
        if self.padding == 'valid':
            for side in x.shape[2:]:
                unet_encoder_sizes(side, self.num_levels, 'valid')
        outs = []
        for i, level in enumerate(self.levels):
            if i:
                x = self.pool(x)
            x = level(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
