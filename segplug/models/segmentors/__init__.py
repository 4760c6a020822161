from .overlap_tile import overlap_tile_inference
from .segplug_encoder_decoder import SegplugEncoderDecoder
from .segplug_tta import SegplugTTAModel

__all__ = [
    'SegplugEncoderDecoder', 'SegplugTTAModel', 'overlap_tile_inference'
]
