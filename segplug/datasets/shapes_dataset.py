"""The synthetic shapes data set for mmseg."""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..data_preparation import SHAPES_CLASSES, SHAPES_PALETTE


@DATASETS.register_module()
class ShapesDataset(BaseSegDataset):
    """Shapes data written by ``tools/make_shapes.py`` in VOC layout: JPEG
    images under ``JPEGImages``, palette PNG labels under
    ``SegmentationClass`` (255 = void band), split lists as ``ann_file``.
    """
    METAINFO = dict(classes=SHAPES_CLASSES, palette=SHAPES_PALETTE)

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
