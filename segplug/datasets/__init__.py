from .checked_coco_dataset import CheckedCocoDataset
from .shapes import SHAPES_CLASSES, generate_shapes
from .shapes_dataset import ShapesDataset
from .transforms import ElasticDeformation, elastic_deform

__all__ = [
    'SHAPES_CLASSES', 'CheckedCocoDataset', 'ElasticDeformation',
    'ShapesDataset', 'elastic_deform', 'generate_shapes'
]
