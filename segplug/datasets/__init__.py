from .shapes import SHAPES_CLASSES, generate_shapes
from .shapes_dataset import ShapesDataset
from .transforms import ElasticDeformation, elastic_deform

__all__ = [
    'SHAPES_CLASSES', 'ElasticDeformation', 'ShapesDataset',
    'elastic_deform', 'generate_shapes'
]
