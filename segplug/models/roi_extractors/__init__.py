from .gather_roi_align import GatherRoIAlign, gather_roi_align
from .torch_roi_extractor import TorchRoIExtractor

__all__ = ['GatherRoIAlign', 'TorchRoIExtractor', 'gather_roi_align']
