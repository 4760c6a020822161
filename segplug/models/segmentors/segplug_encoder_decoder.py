"""mmseg's EncoderDecoder with segplug's test modes and postprocessors."""
from typing import List, Optional

import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList, add_prefix
from torch import Tensor

from .overlap_tile import check_tile_cfg, overlap_tile_inference
from .postprocessor_inputs import (class_probs, load_original_image,
                                   refine_with, unnormalized_input)
from .trained_postprocessor import (check_trained_postprocessor,
                                    refine_in_training)


@MODELS.register_module()
class SegplugEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` that also runs the overlap-tile strategy of
    `U-Net <https://arxiv.org/abs/1505.04597>`_ at test time.

    ``test_cfg=dict(mode='overlap_tile', tile_size=(h, w), margin=(mh, mw))``
    predicts mirror-padded tiles that each keep only their centre (see
    :func:`overlap_tile_inference`); 'whole' and 'slide' work as in mmseg.

    ``postprocessor`` (e.g. ``dict(type='DenseCRF')``) refines every
    prediction: it gets the softmax of the logits at the original
    resolution and the original image (read from ``img_path``; for arrays
    given to inference, the un-normalised input) and sets
    ``pred_sem_seg``; ``seg_logits`` stay the network's. Under
    ``SegplugTTAModel`` it runs once, on the merged probabilities. A
    postprocessor that ``trains_with_network`` (``CRFAsRNN``) runs in
    training as well: the decode head's loss is computed on its refinement
    of the logits (see :meth:`loss`).

    ``channels_last=True`` stores the 4-D weights channels-last, so that
    convolutions run NHWC: the same numbers up to float rounding, and
    faster convolutions on the CPU (mkldnn), above all at full resolution.
    Takes every argument of mmseg's ``EncoderDecoder``.
    """

    def __init__(self,
                 *args,
                 postprocessor: Optional[dict] = None,
                 channels_last: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.postprocessor = (None if postprocessor is None else
                              MODELS.build(postprocessor))
        check_trained_postprocessor(self.postprocessor, self.decode_head)
        # test-time augmentation turns this off and postprocesses the merge
        self.run_postprocessor = True
        # mmseg reads test_cfg by attribute; a plain dict must work too
        self.test_cfg = ConfigDict(self.test_cfg or {})
        mode = self.test_cfg.setdefault('mode', 'whole')
        if mode not in ('whole', 'slide', 'overlap_tile'):
            raise ValueError("test_cfg.mode: expected 'whole', 'slide' or "
                             f"'overlap_tile', got {mode!r}")
        if mode == 'overlap_tile':
            check_tile_cfg(
                self.test_cfg.get('tile_size'), self.test_cfg.get('margin', 0))
        self.channels_last = channels_last
        self._to_memory_format()

    def _to_memory_format(self) -> None:
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """mmengine's initialisation, then channels-last again for any
        weight an initialiser replaced rather than filled."""
        super().init_weights()
        self._to_memory_format()

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """mmseg's losses; with a postprocessor that trains with the
        network, the decode head's loss is taken on the refined logits
        (``decode.*``), plus, weighted by its ``raw_loss_weight``, on the
        raw ones (``decode_raw.*``)."""
        if not getattr(self.postprocessor, 'trains_with_network', False):
            return super().loss(inputs, data_samples)
        x = self.extract_feat(inputs)
        logits = self.decode_head.forward(x)
        refined = refine_in_training(self.postprocessor, logits, inputs,
                                     self.data_preprocessor,
                                     self.align_corners)
        losses = add_prefix(
            self.decode_head.loss_by_feat(refined, data_samples), 'decode')
        weight = self.postprocessor.raw_loss_weight
        if weight > 0:
            raw = self.decode_head.loss_by_feat(logits, data_samples)
            losses.update(
                add_prefix(
                    {
                        k: v * weight if k.startswith('loss') else v
                        for k, v in raw.items()
                    }, 'decode_raw'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """mmseg's prediction, then the postprocessor if there is one."""
        results = super().predict(inputs, data_samples)
        if self.postprocessor is None or not self.run_postprocessor:
            return results
        for i, result in enumerate(results):
            meta = result.metainfo if data_samples is not None else None
            if meta and meta.get('img_path'):
                image = load_original_image(meta['img_path'],
                                            meta['ori_shape'])
            else:
                image = unnormalized_input(inputs[i], meta,
                                           self.data_preprocessor)
            labels = refine_with(self.postprocessor,
                                 class_probs(result.seg_logits.data), image)
            result.set_data({'pred_sem_seg': PixelData(data=labels)})
        return results

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
