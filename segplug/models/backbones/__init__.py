from .unet_encoder import UNetEncoder
from .vgg import VGG16

__all__ = ['UNetEncoder', 'VGG16']
