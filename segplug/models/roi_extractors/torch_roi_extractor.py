"""mmdet's single-level RoI extractor on segplug's GatherRoIAlign."""
from typing import List

from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from torch import nn

from .gather_roi_align import GatherRoIAlign


@MODELS.register_module()
class TorchRoIExtractor(SingleRoIExtractor):
    """``SingleRoIExtractor`` whose ``roi_layer=dict(type='RoIAlign', ...)``
    is segplug's :class:`GatherRoIAlign`: the same numbers as mmcv's
    RoIAlign, computed as a vectorised gather, which trains several times
    faster on the CPU.

    Swap it in with ``bbox_roi_extractor=dict(type='TorchRoIExtractor')``
    (and the same for ``mask_roi_extractor``); everything else is mmdet's.
    """

    def build_roi_layers(self, layer_cfg,
                         featmap_strides: List[int]) -> nn.ModuleList:
        cfg = dict(layer_cfg)
        layer_type = cfg.pop('type')
        if layer_type not in ('RoIAlign', GatherRoIAlign):
            raise ValueError(
                f"TorchRoIExtractor: roi_layer type '{layer_type}' is not "
                "supported; it runs RoIAlign only (use mmdet's "
                'SingleRoIExtractor for other RoI layers)')
        return nn.ModuleList([
            GatherRoIAlign(spatial_scale=1 / s, **cfg) for s in featmap_strides
        ])
