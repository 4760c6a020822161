"""Map torchvision's ImageNet VGG-16 weights onto ``VGG16``'s keys."""
from typing import Dict, List, Tuple

from torch import Tensor

from ..models.backbones.vgg import FC_TYPES, STAGE_DEPTHS

TORCHVISION_CHANNELS = (64, 128, 256, 512, 512)
# DeepLab-LargeFOV keeps every 4th fc filter (4096 -> 1024) and fc6 taps
# [0, 3, 6] of 7x7 (hence its dilation 3 at stride 32, 12 at stride 8).
LARGEFOV_FILTER_STEP = 4
LARGEFOV_TAP_STEP = 3


def _conv_pairs() -> List[Tuple[str, str, tuple]]:
    """(torchvision prefix, VGG16 prefix, weight shape) of the 13 convs.

    torchvision's ``features`` interleaves each conv with a ReLU and ends
    every stage with a max-pool, hence the index arithmetic.
    """
    pairs, index, in_ch = [], 0, 3
    for stage, (depth,
                out_ch) in enumerate(zip(STAGE_DEPTHS, TORCHVISION_CHANNELS)):
        for j in range(depth):
            pairs.append((f'features.{index}', f'stages.{stage}.{j}.conv',
                          (out_ch, in_ch, 3, 3)))
            index += 2
            in_ch = out_ch
        index += 1
    return pairs


def _expected_shapes() -> Dict[str, tuple]:
    shapes = {}
    for src, _, shape in _conv_pairs():
        shapes[f'{src}.weight'] = shape
        shapes[f'{src}.bias'] = shape[:1]
    shapes.update({
        'classifier.0.weight': (4096, 512 * 7 * 7),
        'classifier.0.bias': (4096, ),
        'classifier.3.weight': (4096, 4096),
        'classifier.3.bias': (4096, ),
    })
    return shapes


def _check(state_dict: Dict[str, Tensor]) -> None:
    expected = _expected_shapes()
    dropped = ('classifier.6.weight', 'classifier.6.bias')
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected) - set(dropped))
    if missing or unexpected:
        raise ValueError('torchvision vgg16 state dict: expected the keys of '
                         f'torchvision.models.vgg16, got missing keys '
                         f'{missing} and unexpected keys {unexpected}')
    for key, shape in expected.items():
        if tuple(state_dict[key].shape) != shape:
            raise ValueError(f'torchvision vgg16 state dict {key}: expected '
                             f'shape {shape}, got '
                             f'{tuple(state_dict[key].shape)}')


def convert_torchvision_vgg16(state_dict: Dict[str, Tensor],
                              fc_type: str = 'fcn') -> Dict[str, Tensor]:
    """Convert torchvision's ``vgg16`` state dict to ``VGG16``'s keys.

    The 13 convs are copied; the fc layers become convs: fc6
    ``[4096, 25088]`` -> ``[4096, 512, 7, 7]``, fc7 ``[4096, 4096]`` ->
    ``[4096, 4096, 1, 1]``. The ImageNet classifier (``classifier.6``) is
    dropped. With ``fc_type='largefov'`` fc6/fc7 are subsampled as in
    DeepLab v1: every 4th filter (1024) and fc6 taps [0, 3, 6] (3x3).

    Args:
        state_dict (dict[str, Tensor]): torchvision ``vgg16`` weights.
        fc_type (str): 'fcn' or 'largefov', as ``VGG16(fc_type=...)`` with
            the default channels and fc_channels. Default 'fcn'.

    Returns:
        dict[str, Tensor]: Weights loadable with ``strict=True`` into
        ``VGG16(fc_type=fc_type)``, whatever its output stride.
    """
    if fc_type not in FC_TYPES:
        raise ValueError("convert_torchvision_vgg16 fc_type: expected 'fcn' "
                         f"or 'largefov', got {fc_type!r}")
    _check(state_dict)
    out = {}
    for src, dst, _ in _conv_pairs():
        out[f'{dst}.weight'] = state_dict[f'{src}.weight'].clone()
        out[f'{dst}.bias'] = state_dict[f'{src}.bias'].clone()
    fc6_w = state_dict['classifier.0.weight'].reshape(4096, 512, 7, 7)
    fc6_b = state_dict['classifier.0.bias']
    fc7_w = state_dict['classifier.3.weight'].reshape(4096, 4096, 1, 1)
    fc7_b = state_dict['classifier.3.bias']
    if fc_type == 'largefov':
        keep, taps = LARGEFOV_FILTER_STEP, LARGEFOV_TAP_STEP
        fc6_w = fc6_w[::keep, :, ::taps, ::taps]
        fc6_b = fc6_b[::keep]
        fc7_w = fc7_w[::keep, ::keep]
        fc7_b = fc7_b[::keep]
    out.update({
        'fc6.conv.weight': fc6_w.clone(),
        'fc6.conv.bias': fc6_b.clone(),
        'fc7.conv.weight': fc7_w.clone(),
        'fc7.conv.bias': fc7_b.clone(),
    })
    return out
