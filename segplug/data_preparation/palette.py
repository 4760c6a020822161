"""The PASCAL VOC colour map: VOC's labels carry it, so the VOC + SBD and
the shapes labels written here carry it too."""
from typing import List


def voc_palette() -> List[int]:
    """The 256-entry PASCAL VOC colour map, flattened for ``Image.putpalette``.
    """
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette
