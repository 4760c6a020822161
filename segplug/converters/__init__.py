"""Other libraries' checkpoints renamed to segplug's layouts.

Not imported by ``import segplug``: converting is a tool's job, and
registering the parts does not need it.
"""
from .mmseg_checkpoint import convert_mmseg_checkpoint
from .mmseg_configs import MMSEG_HEADS, SegplugEquivalent, mmseg_config_file
from .timm_xception65 import convert_timm_xception65
from .torchvision_vgg16 import convert_torchvision_vgg16

__all__ = [
    'MMSEG_HEADS', 'SegplugEquivalent', 'convert_mmseg_checkpoint',
    'convert_timm_xception65', 'convert_torchvision_vgg16', 'mmseg_config_file'
]
