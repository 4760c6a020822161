"""Overlap-tile inference of the U-Net paper, as a pure function."""
from typing import Callable, Tuple

import torch.nn.functional as F
from torch import Tensor


def _pair(value, name: str) -> Tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f'{name}: expected an int or a pair of ints, got '
                         f'{value!r}')
    return tuple(pair)


def check_tile_cfg(tile_size, margin) -> Tuple[Tuple[int, int], ...]:
    """Validate and normalise ``tile_size`` (> 0) and ``margin`` (>= 0)."""
    tile, pad = _pair(tile_size, 'tile_size'), _pair(margin, 'margin')
    if min(tile) <= 0 or min(pad) < 0:
        raise ValueError('overlap-tile: expected tile_size > 0 and margin '
                         f'>= 0, got tile_size={tile_size!r}, '
                         f'margin={margin!r}')
    return tile, pad


def overlap_tile_inference(predict: Callable[[Tensor], Tensor],
                           inputs: Tensor,
                           tile_size,
                           margin,
                           num_classes: int,
                           align_corners: bool = False) -> Tensor:
    """Predict ``inputs`` (N, C, H, W) tile by tile, without seams.

    The image is mirror-padded by ``margin`` (and up to a whole number of
    tiles). Each tile of ``tile_size`` is predicted from itself plus
    ``margin`` of context on every side and keeps only its centre, so every
    output pixel sees the same context as in a whole-image pass as long as
    the network's receptive field fits in the margin. ``predict`` maps an
    input crop to logits: either exactly ``tile_size`` (a 'valid' network
    whose margin equals its border loss) or any size, which is then resized
    to the crop and cut to its centre.

    Returns logits (N, num_classes, H, W).
    """
    (th, tw), (mh, mw) = check_tile_cfg(tile_size, margin)
    n, _, h, w = inputs.shape
    rows, cols = -(-h // th), -(-w // tw)
    pad_b, pad_r = rows * th - h + mh, cols * tw - w + mw
    if max(mh, pad_b) >= h or max(mw, pad_r) >= w:
        raise ValueError(f'overlap-tile: expected margins smaller than the '
                         f'image {h}x{w}, got margin ({mh}, {mw}) and tile '
                         f'padding ({pad_b}, {pad_r})')
    padded = F.pad(inputs, (mw, pad_r, mh, pad_b), mode='reflect')
    out = inputs.new_zeros((n, num_classes, rows * th, cols * tw))
    for r in range(rows):
        for c in range(cols):
            crop = padded[..., r * th:r * th + th + 2 * mh,
                          c * tw:c * tw + tw + 2 * mw]
            logits = predict(crop)
            if logits.shape[-2:] != (th, tw):
                logits = F.interpolate(
                    logits,
                    size=crop.shape[-2:],
                    mode='bilinear',
                    align_corners=align_corners)[..., mh:mh + th, mw:mw + tw]
            out[..., r * th:(r + 1) * th, c * tw:(c + 1) * tw] = logits
    return out[..., :h, :w]
