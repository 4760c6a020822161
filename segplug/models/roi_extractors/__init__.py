from .torch_roi_align import RoIAlign, roi_align
from .torch_roi_extractor import TorchRoIExtractor

__all__ = ['RoIAlign', 'TorchRoIExtractor', 'roi_align']
