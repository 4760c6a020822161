"""Data written to disk for the datasets to read: the synthetic shapes set
and PASCAL VOC + SBD in mmseg's layout."""
from .colour_labels import convert_colour_label
from .palette import voc_palette
from .shapes_generator import (SHAPES_CLASSES, SHAPES_PALETTE, generate_shapes,
                               make_sample, mask_to_polygons)
from .voc_aug import VOCPrepareError, prepare_voc_aug, sbd_mat_to_label

__all__ = [
    'SHAPES_CLASSES', 'SHAPES_PALETTE', 'VOCPrepareError',
    'convert_colour_label', 'generate_shapes', 'make_sample',
    'mask_to_polygons', 'prepare_voc_aug', 'sbd_mat_to_label', 'voc_palette'
]
