from .aspp import ASPP
from .fcn_skip_fusion import FCNSkipFusion
from .pyramid_pooling import PyramidPooling

__all__ = ['ASPP', 'FCNSkipFusion', 'PyramidPooling']
