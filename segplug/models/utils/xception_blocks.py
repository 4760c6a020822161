"""The Xception module of aligned Xception (DeepLab v3+), unregistered."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import (ConvModule, DepthwiseSeparableConvModule,
                      build_activation_layer)
from torch import Tensor

# Activations that take no ``inplace`` argument (as in mmcv's ConvModule).
NO_INPLACE = ('Tanh', 'PReLU', 'Sigmoid', 'HSigmoid', 'Swish', 'GELU')


def build_act(act_cfg: dict, inplace: bool) -> nn.Module:
    """Build ``act_cfg``, in place where the activation allows it."""
    cfg = dict(act_cfg)
    if cfg['type'] not in NO_INPLACE:
        cfg.setdefault('inplace', inplace)
    return build_activation_layer(cfg)


class XceptionBlock(nn.Module):
    """Three 3x3 depthwise separable convs, the last one strided, plus a
    shortcut, as timm's ``XceptionModule`` (``xception_aligned.py``).

    With ``start_with_relu`` (entry and middle flow, TF DeepLab's
    ``activation_fn_in_separable_conv=False``) an activation precedes each
    separable conv and the convs have BN but no activation. Without it (the
    last exit-flow block) each separable conv is dw-BN-act-pw-BN-act. The
    shortcut is a strided 1x1 conv + BN when the shape changes, the identity
    otherwise, and absent with ``no_skip``.

    Args:
        in_channels (int): Input channels.
        out_channels (Sequence[int]): Output channels of the three convs.
        stride (int): Stride of the third conv and the shortcut. Default 1.
        dilation (int): Dilation of the depthwise convs. Default 1.
        start_with_relu (bool): Pre-activation, see above. Default True.
        no_skip (bool): Drop the shortcut. Default False.
        conv_cfg, norm_cfg, act_cfg (dict, optional): Layer configs.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Sequence[int],
                 stride: int = 1,
                 dilation: int = 1,
                 start_with_relu: bool = True,
                 no_skip: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN', eps=1e-3),
                 act_cfg: Optional[dict] = dict(type='ReLU')):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels[-1]
        self.no_skip = no_skip
        self.shortcut = None
        if not no_skip and (self.out_channels != in_channels or stride != 1):
            self.shortcut = ConvModule(
                in_channels,
                self.out_channels,
                1,
                stride=stride,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=None)
        pre_act = start_with_relu and act_cfg is not None
        # The first one must not overwrite the block input, the shortcut's.
        self.acts = nn.ModuleList([
            build_act(act_cfg, inplace=i > 0) if pre_act else nn.Identity()
            for i in range(3)
        ])
        sep_act = None if start_with_relu else act_cfg
        self.convs = nn.ModuleList()
        for i, out_ch in enumerate(out_channels):
            self.convs.append(
                DepthwiseSeparableConvModule(
                    in_channels,
                    out_ch,
                    3,
                    stride=stride if i == 2 else 1,
                    padding=dilation,
                    dilation=dilation,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=sep_act))
            in_channels = out_ch

    def forward_with_feature(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Return the block output and the input of the third conv after its
        activation (timm's ``stack.act3``, the block's pre-stride feature).
        """
        skip = x
        for act, conv in zip(self.acts[:2], self.convs[:2]):
            x = conv(act(x))
        feature = self.acts[2](x)
        x = self.convs[2](feature)
        if self.shortcut is not None:
            skip = self.shortcut(skip)
        if not self.no_skip:
            x = x + skip
        return x, feature

    def forward(self, x: Tensor) -> Tensor:
        """``(N, in_channels, H, W)`` to ``(N, out_channels[-1],
        ceil(H / stride), ceil(W / stride))``."""
        return self.forward_with_feature(x)[0]
