"""Map timm's ImageNet ``xception65`` weights onto ``Xception65``'s keys."""
from typing import Dict, List, Tuple

from torch import Tensor

from ..models.backbones.xception65 import (ENTRY_FLOW, EXIT_CONVS, EXIT_FLOW,
                                           MIDDLE_FLOW, STEM_CHANNELS)

NUM_MIDDLE_BLOCKS = 16
BN_PARAMS = ('weight', 'bias', 'running_mean', 'running_var')
# Converted TF checkpoints may lack it; BatchNorm then starts it at 0.
BN_COUNTER = 'num_batches_tracked'
CLASSIFIER = ('head.fc.weight', 'head.fc.bias')


def _conv_bn(src: str, dst: str, weight: tuple, bn: str,
             bn_dst: str) -> List[Tuple[str, str, tuple]]:
    """Weight and BN entries of one conv followed by BN."""
    out_ch = weight[0]
    pairs = [(f'{src}.weight', f'{dst}.weight', weight)]
    pairs += [(f'{bn}.{p}', f'{bn_dst}.{p}', (out_ch, )) for p in BN_PARAMS]
    return pairs + [(f'{bn}.{BN_COUNTER}', f'{bn_dst}.{BN_COUNTER}', ())]


def _key_pairs() -> List[Tuple[str, str, tuple]]:
    """(timm key, Xception65 key, shape) of every backbone tensor.

    timm: ``stem.{0,1}`` are ConvNormAct (``conv``, ``bn``); block ``i`` has
    ``stack.conv{1,2,3}`` SeparableConv2d (``conv_dw``, ``bn_dw``,
    ``conv_pw``, ``bn_pw``) and a ConvNormAct ``shortcut`` when it has a
    projection. Xception65 uses mmcv's ConvModule (``conv``, ``bn``) and
    DepthwiseSeparableConvModule (``depthwise_conv``, ``pointwise_conv``).
    """
    pairs, in_ch = [], 3
    for i, out_ch in enumerate(STEM_CHANNELS):
        name = f'stem.{i}'
        pairs += _conv_bn(f'{name}.conv', f'{name}.conv',
                          (out_ch, in_ch, 3, 3), f'{name}.bn', f'{name}.bn')
        in_ch = out_ch
    cfgs = [*ENTRY_FLOW, *[MIDDLE_FLOW] * NUM_MIDDLE_BLOCKS, EXIT_FLOW]
    cfgs = [(c, s, False) for c, s in cfgs] + [(EXIT_CONVS, 1, True)]
    for b, (channels, stride, no_skip) in enumerate(cfgs):
        block_in = in_ch
        for j, out_ch in enumerate(channels):
            src, dst = f'blocks.{b}.stack.conv{j + 1}', f'blocks.{b}.convs.{j}'
            pairs += _conv_bn(f'{src}.conv_dw', f'{dst}.depthwise_conv.conv',
                              (in_ch, 1, 3, 3), f'{src}.bn_dw',
                              f'{dst}.depthwise_conv.bn')
            pairs += _conv_bn(f'{src}.conv_pw', f'{dst}.pointwise_conv.conv',
                              (out_ch, in_ch, 1, 1), f'{src}.bn_pw',
                              f'{dst}.pointwise_conv.bn')
            in_ch = out_ch
        if not no_skip and (in_ch != block_in or stride != 1):
            name = f'blocks.{b}.shortcut'
            pairs += _conv_bn(f'{name}.conv', f'{name}.conv',
                              (in_ch, block_in, 1, 1), f'{name}.bn',
                              f'{name}.bn')
    return pairs


def _unwrap(checkpoint: Dict) -> Dict[str, Tensor]:
    if not isinstance(checkpoint, dict):
        raise TypeError('timm xception65 state dict: expected a dict, got '
                        f'{type(checkpoint).__name__}')
    for wrapper in ('state_dict', 'model'):
        if isinstance(checkpoint.get(wrapper), dict):
            return checkpoint[wrapper]
    return checkpoint


def _check(state_dict: Dict[str, Tensor], pairs: List[Tuple[str, str,
                                                            tuple]]) -> None:
    expected = {src: shape for src, _, shape in pairs}
    required = {k for k in expected if not k.endswith(BN_COUNTER)}
    missing = sorted(required - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected) - set(CLASSIFIER))
    if missing or unexpected:
        raise ValueError('timm xception65 state dict: expected the keys of '
                         'timm.create_model("xception65"), got missing keys '
                         f'{missing} and unexpected keys {unexpected}')
    for key, shape in expected.items():
        if key in state_dict and tuple(state_dict[key].shape) != shape:
            raise ValueError(f'timm xception65 state dict {key}: expected '
                             f'shape {shape}, got '
                             f'{tuple(state_dict[key].shape)}')


def convert_timm_xception65(state_dict: Dict) -> Dict[str, Tensor]:
    """Convert timm's ``xception65`` state dict to ``Xception65``'s keys.

    Every stem, block and shortcut conv/BN tensor is copied under its new
    name; the ImageNet classifier (``head.fc``) is dropped. BN's
    ``num_batches_tracked`` is optional (checkpoints converted from TF may
    lack it). The weights do not depend on the output stride.

    Args:
        state_dict (dict): timm ``xception65`` weights, bare or wrapped in a
            checkpoint under ``'state_dict'`` or ``'model'``.

    Returns:
        dict[str, Tensor]: Weights loadable with ``strict=True`` into
        ``Xception65()`` (16 middle blocks, ``width_mult=1``, BN), whatever
        its output stride.
    """
    state_dict = _unwrap(state_dict)
    pairs = _key_pairs()
    _check(state_dict, pairs)
    return {
        dst: state_dict[src].clone()
        for src, dst, _ in pairs if src in state_dict
    }
