from .classifier_head import ClassifierHead
from .deeplabv3plus_head import DeepLabV3PlusHead
from .unet_head import UNetHead

__all__ = ['ClassifierHead', 'DeepLabV3PlusHead', 'UNetHead']
