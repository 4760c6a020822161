from .checked_coco_dataset import CheckedCocoDataset
from .shapes_dataset import ShapesDataset
from .transforms import ElasticDeformation, elastic_deform

__all__ = [
    'CheckedCocoDataset', 'ElasticDeformation', 'ShapesDataset',
    'elastic_deform'
]
