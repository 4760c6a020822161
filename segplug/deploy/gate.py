"""The accuracy gate of a deployed model: its labels and mIoU on the
config's test set against the PyTorch model's."""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch

from ..engine import ConfigError

#: the gate: at most this mIoU below the PyTorch model, and at least this
#: share of pixels labelled as it labels them
MAX_MIOU_DROP = 0.3
MIN_AGREEMENT = 0.99


@dataclass
class GateResult:
    """mIoU of the PyTorch model and of the deployed one on ``images`` test
    images, and the share of pixels they label alike."""
    reference_miou: float
    deployed_miou: float
    agreement: float
    images: int

    @property
    def drop(self) -> float:
        return self.reference_miou - self.deployed_miou

    def passes(self,
               max_drop: float = MAX_MIOU_DROP,
               min_agreement: float = MIN_AGREEMENT) -> bool:
        return self.drop <= max_drop and self.agreement >= min_agreement


def labelled_test_set(cfg, limit: Optional[int] = None) -> List[dict]:
    """(img_path, gt_seg_map) of the config's test set, in its order, the
    labels as mmseg's ``LoadAnnotations`` reads them (reduce_zero_label
    included)."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    loader = cfg.get('test_dataloader')
    if not loader:
        raise ConfigError('the accuracy gate needs a test_dataloader')
    ds_cfg = dict(loader['dataset'])
    ds_cfg['pipeline'] = [dict(type='LoadAnnotations')]
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        dataset = DATASETS.build(ds_cfg)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    return [dict(dataset[i], index=i) for i in range(count)]


def miou(preds, truths, num_classes: int, ignore_index: int = 255) -> float:
    """mmseg's mIoU (IoUMetric) of predicted label maps over the set:
    per-class areas summed over the images, classes with no ground truth
    left out."""
    from mmseg.evaluation.metrics import IoUMetric
    areas = [
        IoUMetric.intersect_and_union(
            torch.from_numpy(p), torch.from_numpy(t.astype(np.int64)),
            num_classes, ignore_index) for p, t in zip(preds, truths)
    ]
    totals = [sum(a[i] for a in areas) for i in range(4)]
    metrics = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])
    return 100 * float(np.nanmean(metrics['IoU']))


def run_gate(reference,
             deployed,
             cfg,
             limit: Optional[int] = None) -> GateResult:
    """Predict the test set with the two :class:`Segmenter` s (the PyTorch
    model and the deployed one) and compare."""
    import mmcv
    samples = labelled_test_set(cfg, limit)
    if not samples:
        raise ConfigError('the accuracy gate found no test images')
    num_classes = len(reference.classes) or cfg.model.decode_head.num_classes
    refs, deps, truths = [], [], []
    for sample in samples:
        image = mmcv.imread(sample['img_path'], channel_order='bgr')
        if image is None:
            raise ConfigError(f'cannot read the test image '
                              f'{sample["img_path"]}')
        refs.append(reference.predict([image])[0].labels)
        deps.append(deployed.predict([image])[0].labels)
        truths.append(sample['gt_seg_map'])
    agree = sum(int((a == b).sum())
                for a, b in zip(refs, deps)) / sum(a.size for a in refs)
    return GateResult(
        miou(refs, truths, num_classes), miou(deps, truths, num_classes),
        agree, len(samples))
