"""The layout of segplug's VGG16 and the checks of its arguments."""
from typing import Optional, Sequence, Tuple

from .checks import check_positive_int

STAGE_DEPTHS = (2, 2, 3, 3, 3)
# fc6's (kernel, dilation at output stride 32, channels) of each preset.
FC_TYPES = {'fcn': (7, 1, 4096), 'largefov': (3, 3, 1024)}
LEVELS = ('pool3', 'pool4', 'fc7')
# Every level the network can return, in network order.
ALL_LEVELS = ('input', 'pool1', 'pool2', 'pool3', 'pool4', 'pool5', 'fc7')


def level_strides(strided: Sequence[bool]) -> Tuple[int, ...]:
    """Strides of ALL_LEVELS given which of the five pools are strided."""
    strides = [1]
    for pool_strided in strided:
        strides.append(strides[-1] * (2 if pool_strided else 1))
    return (*strides, strides[-1])


def fc_layout(fc_type: str, fc6_kernel: Optional[int],
              fc6_dilation: Optional[int], fc_channels: Optional[int],
              output_stride: int) -> Tuple[int, int, int]:
    """fc6's (kernel, dilation, channels): the given ones, the rest from
    the ``fc_type`` preset, its dilation scaled to ``output_stride``."""
    kernel, base_dilation, channels = FC_TYPES[fc_type]
    return (kernel if fc6_kernel is None else fc6_kernel,
            (base_dilation * 32 //
             output_stride if fc6_dilation is None else fc6_dilation),
            channels if fc_channels is None else fc_channels)


def _check_levels(levels, out_indices) -> None:
    if (isinstance(levels, str) or not isinstance(levels, Sequence)
            or not levels or any(name not in ALL_LEVELS for name in levels)):
        raise ValueError('VGG16 levels: expected a non-empty sequence of '
                         f'names among {ALL_LEVELS}, got {levels!r}')
    order = [ALL_LEVELS.index(name) for name in levels]
    if order != sorted(set(order)):
        raise ValueError('VGG16 levels: expected names in network order '
                         f'without repeats, got {tuple(levels)!r}')
    if out_indices is None:
        return
    if (isinstance(out_indices, int) or not out_indices
            or any(i not in range(len(levels)) for i in out_indices)
            or list(out_indices) != sorted(set(out_indices))):
        raise ValueError(
            'VGG16 out_indices: expected increasing indices among '
            f'0..{len(levels) - 1} {tuple(levels)}, got {out_indices!r}')


def _check_fc(fc_type, fc6_kernel, fc6_dilation, fc_channels,
              output_stride) -> None:
    if fc_type not in FC_TYPES:
        raise ValueError("VGG16 fc_type: expected 'fcn' or 'largefov', "
                         f'got {fc_type!r}')
    for name, value in (('fc6_kernel', fc6_kernel),
                        ('fc6_dilation', fc6_dilation), ('fc_channels',
                                                         fc_channels)):
        if value is not None:
            check_positive_int(f'VGG16 {name}', value)
    kernel, dilation, _ = fc_layout(fc_type, fc6_kernel, fc6_dilation,
                                    fc_channels, output_stride)
    if (kernel - 1) * dilation % 2:
        raise ValueError(
            'VGG16 fc6_dilation: expected an even dilation with the even '
            f'fc6 kernel {kernel}, so that fc6 keeps the map\'s size '
            f'(padding dilation * (kernel - 1) / 2), got {dilation}')


def check_vgg_args(channels, output_stride, fc_type, fc6_kernel, fc6_dilation,
                   fc_channels, dropout, levels, out_indices) -> None:
    """Raise ``ValueError``/``TypeError`` ("expected X, got Y") for
    arguments ``VGG16`` cannot build."""
    _check_levels(levels, out_indices)
    if isinstance(channels, int) or len(channels) != len(STAGE_DEPTHS):
        raise ValueError('VGG16 channels: expected 5 positive ints, got '
                         f'{channels!r}')
    for c in channels:
        check_positive_int('VGG16 channel', c)
    if output_stride not in (8, 16, 32):
        raise ValueError('VGG16 output_stride: expected 8, 16 or 32, got '
                         f'{output_stride!r}')
    _check_fc(fc_type, fc6_kernel, fc6_dilation, fc_channels, output_stride)
    if not 0 <= dropout < 1:
        raise ValueError('VGG16 dropout: expected a value in [0, 1), got '
                         f'{dropout!r}')
