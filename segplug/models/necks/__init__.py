from .aspp import ASPP
from .fcn_skip_fusion import FCNSkipFusion
from .multi_scale_branches import MultiScaleBranches
from .pyramid_pooling import PyramidPooling

__all__ = ['ASPP', 'FCNSkipFusion', 'MultiScaleBranches', 'PyramidPooling']
