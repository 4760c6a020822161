from .unet_encoder import UNetEncoder
from .vgg import VGG16
from .xception65 import Xception65

__all__ = ['UNetEncoder', 'VGG16', 'Xception65']
