"""Map torchvision's ImageNet VGG-16 weights onto ``VGG16``'s keys."""
from typing import Dict, List, Optional, Tuple

from torch import Tensor

from ..models.utils import check_positive_int
from ..models.utils.vgg_args import FC_TYPES, STAGE_DEPTHS

TORCHVISION_CHANNELS = (64, 128, 256, 512, 512)
FC6_TAPS = 7
FC_FILTERS = 4096


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


def fc6_taps(kernel: int) -> List[int]:
    """The rows (and columns) of the 7x7 ImageNet fc6 a ``kernel`` x
    ``kernel`` fc6 keeps: evenly spaced, first and last included, so that
    at ``6 / (kernel - 1)`` times the 7x7's dilation each kept tap reads the
    image offset it was trained on (4x4: [0, 2, 4, 6]; 3x3: [0, 3, 6]); a
    1x1 keeps the centre."""
    check_positive_int('fc6 kernel', kernel)
    if kernel == 1:
        return [FC6_TAPS // 2]
    if kernel > FC6_TAPS or (FC6_TAPS - 1) % (kernel - 1):
        raise ValueError('fc6 kernel: expected a size whose taps evenly '
                         'subsample the 7x7 ImageNet fc6 (1, 2, 3, 4 or 7), '
                         f'got {kernel}')
    step = (FC6_TAPS - 1) // (kernel - 1)
    return list(range(0, FC6_TAPS, step))


def _filter_step(channels: int) -> int:
    check_positive_int('fc channels', channels)
    if FC_FILTERS % channels:
        raise ValueError(f'fc channels: expected a divisor of {FC_FILTERS}, '
                         'so that every n-th ImageNet filter is kept, got '
                         f'{channels}')
    return FC_FILTERS // channels


def convert_torchvision_vgg16(
        state_dict: Dict[str, Tensor],
        fc_type: str = 'fcn',
        fc6_kernel: Optional[int] = None,
        fc_channels: Optional[int] = None) -> Dict[str, Tensor]:
    """Convert torchvision's ``vgg16`` state dict to ``VGG16``'s keys.

    The 13 convs are copied; the fc layers become convs: fc6
    ``[4096, 25088]`` -> ``[4096, 512, 7, 7]``, fc7 ``[4096, 4096]`` ->
    ``[4096, 4096, 1, 1]``. The ImageNet classifier (``classifier.6``) is
    dropped. A smaller fc6 kernel is made by decimation, as DeepLab v1 made
    its 4x4 and 3x3 ones: the taps of :func:`fc6_taps`, not a resampled
    kernel, whose blurred taps would read offsets no tap was trained on.
    Fewer fc channels keep every n-th filter (DeepLab-LargeFOV: every 4th,
    1024; which ones is arbitrary, the filters have no order). So
    ``fc_type='largefov'`` keeps taps [0, 3, 6] and 1024 filters.

    Args:
        state_dict (dict[str, Tensor]): torchvision ``vgg16`` weights.
        fc_type (str): 'fcn' or 'largefov', as ``VGG16(fc_type=...)``.
            Default 'fcn'.
        fc6_kernel (int, optional): As ``VGG16(fc6_kernel=...)``: 1, 2, 3,
            4 or 7. Default None: the preset's.
        fc_channels (int, optional): As ``VGG16(fc_channels=...)``, a
            divisor of 4096. Default None: the preset's.

    Returns:
        dict[str, Tensor]: Weights loadable with ``strict=True`` into
        ``VGG16`` with the same ``fc_type``, ``fc6_kernel`` and
        ``fc_channels``, whatever its output stride and fc6 dilation.
    """
    if fc_type not in FC_TYPES:
        raise ValueError("convert_torchvision_vgg16 fc_type: expected 'fcn' "
                         f"or 'largefov', got {fc_type!r}")
    kernel, _, channels = FC_TYPES[fc_type]
    taps = fc6_taps(kernel if fc6_kernel is None else fc6_kernel)
    keep = _filter_step(channels if fc_channels is None else fc_channels)
    _check(state_dict)
    out = {}
    for src, dst, _ in _conv_pairs():
        out[f'{dst}.weight'] = state_dict[f'{src}.weight'].clone()
        out[f'{dst}.bias'] = state_dict[f'{src}.bias'].clone()
    fc6_w = state_dict['classifier.0.weight'].reshape(4096, 512, 7, 7)
    fc6_b = state_dict['classifier.0.bias']
    fc7_w = state_dict['classifier.3.weight'].reshape(4096, 4096, 1, 1)
    fc7_b = state_dict['classifier.3.bias']
    fc6_w = fc6_w[::keep][:, :, taps][:, :, :, taps]
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
