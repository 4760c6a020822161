"""Colour (RGB) label images to the class-index PNGs mmseg reads: each
palette colour becomes its class index; PASCAL VOC's void colour and any
other colour the ignore index."""
from typing import List, Sequence, Tuple

import numpy as np
from PIL import Image

# the colour of PASCAL VOC's void border (index 255 of its colour map)
VOID_COLOUR = (224, 224, 192)


def _keys(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def colour_to_index(rgb: np.ndarray,
                    palette: Sequence[Sequence[int]],
                    ignore_index: int = 255) -> Tuple[np.ndarray, int]:
    """Class indices of an (H, W, 3) RGB label.

    Args:
        rgb (np.ndarray): The colour label, RGB order.
        palette (sequence): One (r, g, b) per class, in class order.
        ignore_index (int): The index of colours not in ``palette``.
            Default: 255.

    Returns:
        tuple: The (H, W) uint8 indices and how many pixels had a colour
        neither in the palette nor :data:`VOID_COLOUR`.
    """
    palette_keys = _keys(np.asarray(palette).reshape(-1, 3))
    order = np.argsort(palette_keys)
    known = palette_keys[order]
    keys = _keys(rgb)
    pos = np.clip(np.searchsorted(known, keys), 0, len(known) - 1)
    found = known[pos] == keys
    index = np.where(found, order[pos], ignore_index).astype(np.uint8)
    odd = ~found & (keys != _keys(np.array(VOID_COLOUR)))
    return index, int(odd.sum())


def convert_colour_label(src: str,
                         dst: str,
                         palette: Sequence[Sequence[int]],
                         ignore_index: int = 255) -> int:
    """Write the colour label ``src`` to ``dst`` as a palette PNG of class
    indices (shown in ``palette``'s colours); the count of pixels of a
    colour neither in ``palette`` nor void, now ``ignore_index`` too. A
    label whose three channels are equal and not all palette colours holds
    indices already: its first channel is kept."""
    with Image.open(src) as img:
        rgb = np.array(img.convert('RGB'))
    index, unknown = colour_to_index(rgb, palette, ignore_index)
    if unknown and (rgb == rgb[..., :1]).all():
        # indices written to all three channels, not colours
        index, unknown = rgb[..., 0].copy(), 0
    flat: List[int] = [int(c) for colour in palette for c in colour]
    png = Image.fromarray(index, 'P')
    png.putpalette(flat + [0] * (768 - len(flat)))
    png.save(dst)
    return unknown
