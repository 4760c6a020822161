"""Applying trained models to images; ``import segplug`` does not import
this package."""
from .infer_files import Counts, InferOptions, infer_files
from .infer_instances import infer_instances, is_detection_config
from .inputs import Input, collect_inputs
from .model_loading import read_config
from .prediction import Segmenter, SegPrediction
from .pytorch_detector import InstancePrediction, PytorchDetector
from .pytorch_segmenter import PytorchSegmenter
from .segment import read_image, segment

__all__ = [
    'Counts', 'InferOptions', 'Input', 'InstancePrediction', 'PytorchDetector',
    'PytorchSegmenter', 'SegPrediction', 'Segmenter', 'collect_inputs',
    'infer_files', 'infer_instances', 'is_detection_config', 'read_config',
    'read_image', 'segment'
]
