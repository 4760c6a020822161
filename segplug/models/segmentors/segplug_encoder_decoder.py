"""mmseg's EncoderDecoder with segplug's test modes."""
from typing import List

from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

from .overlap_tile import check_tile_cfg, overlap_tile_inference


@MODELS.register_module()
class SegplugEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` that also runs the overlap-tile strategy of
    `U-Net <https://arxiv.org/abs/1505.04597>`_ at test time.

    ``test_cfg=dict(mode='overlap_tile', tile_size=(h, w), margin=(mh, mw))``
    predicts mirror-padded tiles that each keep only their centre (see
    :func:`overlap_tile_inference`); 'whole' and 'slide' work as in mmseg.
    Takes every argument of mmseg's ``EncoderDecoder``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # mmseg reads test_cfg by attribute; a plain dict must work too
        self.test_cfg = ConfigDict(self.test_cfg or {})
        mode = self.test_cfg.get('mode', 'whole')
        if mode not in ('whole', 'slide', 'overlap_tile'):
            raise ValueError("test_cfg.mode: expected 'whole', 'slide' or "
                             f"'overlap_tile', got {mode!r}")
        if mode == 'overlap_tile':
            check_tile_cfg(self.test_cfg.get('tile_size'),
                           self.test_cfg.get('margin', 0))

    def _raw_logits(self, crop: Tensor) -> Tensor:
        return self.decode_head.forward(self.extract_feat(crop))

    def inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits (N, num_classes, H, W) for inputs (N, C, H, W)."""
        if self.test_cfg.get('mode', 'whole') != 'overlap_tile':
            return super().inference(inputs, batch_img_metas)
        return overlap_tile_inference(
            self._raw_logits,
            inputs,
            self.test_cfg.tile_size,
            self.test_cfg.get('margin', 0),
            self.out_channels,
            align_corners=self.align_corners)
