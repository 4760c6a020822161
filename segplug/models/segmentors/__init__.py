from .overlap_tile import overlap_tile_inference
from .segplug_encoder_decoder import SegplugEncoderDecoder

__all__ = ['SegplugEncoderDecoder', 'overlap_tile_inference']
