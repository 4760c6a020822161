"""Test-time augmentation that postprocesses the merged prediction."""
from typing import List

import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

from .postprocessor_inputs import class_probs, load_original_image, refine_with


@MODELS.register_module()
class SegplugTTAModel(SegTTAModel):
    """mmseg's ``SegTTAModel`` (mean of the augmented softmaxes), which also
    runs the wrapped segmentor's ``postprocessor`` (e.g. the dense CRF) once
    on the merged probabilities against the original image, as DeepLab does
    after multi-scale fusion, instead of once per augmentation."""

    def __init__(self, module, **kwargs):
        super().__init__(module, **kwargs)
        self.postprocessor = getattr(self.module, 'postprocessor', None)
        if self.postprocessor is not None:
            self.module.run_postprocessor = False

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        if self.postprocessor is None:
            return super().merge_preds(data_samples_list)
        predictions = []
        for data_samples in data_samples_list:
            probs = torch.stack(
                [class_probs(s.seg_logits.data) for s in data_samples]).mean(0)
            first = data_samples[0]
            image = load_original_image(first.img_path, first.ori_shape)
            result = SegDataSample(
                metainfo=dict(
                    img_path=first.img_path, ori_shape=first.ori_shape))
            result.set_data({
                'pred_sem_seg':
                PixelData(data=refine_with(self.postprocessor, probs, image))
            })
            if 'gt_sem_seg' in first:
                result.set_data({'gt_sem_seg': first.gt_sem_seg})
            predictions.append(result)
        return predictions
