"""Feature-map sizes of a U-Net, for one spatial side.

In `U-Net: Convolutional Networks for Biomedical Image Segmentation
<https://arxiv.org/abs/1505.04597>`_ every 3x3 conv is unpadded ('valid'),
so each level loses 4 pixels to its two convs and every 2x2 max-pool needs
an even size. Only some input sizes work (572 -> 388 output with 5 levels).
With 'same' padding every size works and pooling rounds up.
"""
from typing import List, Optional, Tuple

from .checks import check_positive_int

_PADDINGS = ('same', 'valid')


def _valid_base(num_levels: int) -> Tuple[int, int]:
    """Valid input sizes are ``offset + step * b`` for bottom size ``b``."""
    step = 2**(num_levels - 1)
    return step, 4 * (2 * step - 1)


def nearest_valid_unet_sizes(size: int,
                             num_levels: int = 5) -> Tuple[Optional[int], int]:
    """The largest valid input size <= ``size`` (None if there is none) and
    the smallest valid input size >= ``size``.

    Valid means the whole valid-padding U-Net (encoder and the symmetric
    decoder) keeps at least one output pixel, e.g. 556 and 572 for 570 with 5
    levels.
    """
    check_positive_int('size', size)
    check_positive_int('num_levels', num_levels)
    step, offset = _valid_base(num_levels)
    # The smallest bottom size b whose decoder output, step*(b-4)+4, is >= 1.
    first = offset + step * (4 - 3 // step)
    if size < first:
        return None, first
    lower = size - (size - offset) % step
    upper = lower if lower == size else lower + step
    return lower, upper


def valid_unet_sizes(num_levels: int = 5, max_size: int = 1024) -> List[int]:
    """All valid input sizes up to ``max_size`` (see
    :func:`nearest_valid_unet_sizes`)."""
    check_positive_int('max_size', max_size)
    step, _ = _valid_base(num_levels)
    first = nearest_valid_unet_sizes(1, num_levels)[1]
    return list(range(first, max_size + 1, step))


def _invalid(size: int, num_levels: int, why: str) -> ValueError:
    lower, upper = nearest_valid_unet_sizes(size, num_levels)
    nearest = f'{lower} or {upper}' if lower is not None else f'{upper}'
    return ValueError(
        f'valid-padding U-Net with {num_levels} levels: expected an input '
        f'size whose levels are even before each pooling and at least 1 '
        f'pixel, got {size} ({why}); nearest valid sizes: {nearest}')


def unet_encoder_sizes(size: int,
                       num_levels: int = 5,
                       padding: str = 'valid') -> List[int]:
    """Side of each encoder level's output (after its two 3x3 convs).

    Raises ``ValueError`` naming the nearest valid sizes when a 'valid'
    level is odd before pooling or shrinks below one pixel. Example:
    ``unet_encoder_sizes(572)`` is ``[568, 280, 136, 64, 28]``.
    """
    check_positive_int('size', size)
    check_positive_int('num_levels', num_levels)
    if padding not in _PADDINGS:
        raise ValueError(f"padding: expected 'same' or 'valid', got "
                         f'{padding!r}')
    sizes = []
    side = size
    for level in range(num_levels):
        if level:
            if padding == 'valid' and side % 2:
                raise _invalid(size, num_levels,
                               f'level {level - 1} is {side}, odd')
            side = -(-side // 2)
        if padding == 'valid':
            side -= 4
            if side < 1:
                raise _invalid(size, num_levels, f'level {level} is {side}')
        sizes.append(side)
    return sizes


def unet_output_size(size: int, num_levels: int = 5) -> int:
    """Output side of a full valid-padding U-Net: each decoder level doubles
    the size and its two 3x3 convs take 4 pixels. ``unet_output_size(572)``
    is 388 as in the paper's Fig. 1.
    """
    side = unet_encoder_sizes(size, num_levels, 'valid')[-1]
    for level in range(num_levels - 2, -1, -1):
        side = 2 * side - 4
        if side < 1:
            raise _invalid(size, num_levels,
                           f'decoder level {level} is {side}')
    return side
