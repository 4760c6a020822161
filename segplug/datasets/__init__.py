from .shapes import SHAPES_CLASSES, generate_shapes
from .shapes_dataset import ShapesDataset

__all__ = ['SHAPES_CLASSES', 'ShapesDataset', 'generate_shapes']
