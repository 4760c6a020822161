from .aspp import ASPP
from .fcn_skip_fusion import FCNSkipFusion

__all__ = ['ASPP', 'FCNSkipFusion']
