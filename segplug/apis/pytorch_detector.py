"""segplug's PyTorch inference for mmdet configs (Mask R-CNN and others)."""
import copy
from dataclasses import dataclass
from typing import List, Optional, Union

import numpy as np
from mmengine.config import Config

from ..engine.inference.trained_model import load_trained_model
from .model_loading import dataset_meta, device_checked, read_config


@dataclass
class InstancePrediction:
    """The instances found in one image, at its own size.

    Attributes:
        boxes (np.ndarray): (N, 4) float32 x1, y1, x2, y2.
        scores (np.ndarray): (N,) float32.
        labels (np.ndarray): (N,) int64 indices into ``classes``.
        masks (np.ndarray, optional): (N, H, W) bool, for models with a
            mask head.
    """
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    masks: Optional[np.ndarray] = None


class PytorchDetector:
    """A trained mmdet detector (segplug's parts allowed), one image at a
    time through ``mmdet.apis.inference_detector``.

    Args:
        config (str | Config): An mmdet config (``default_scope='mmdet'``).
        checkpoint (str): Its trained weights; every weight must fit.
        device (str): 'cpu' or 'cuda[:i]'. Default 'cpu'.

    Attributes:
        classes (tuple[str]): Class names, label order.
        palette (list[list[int]]): One RGB colour per class.
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 device: str = 'cpu'):
        from mmdet.registry import DATASETS
        cfg = copy.deepcopy(read_config(config))
        self.cfg = cfg
        self.model, meta = load_trained_model(cfg, checkpoint,
                                              device_checked(device or 'cpu'))
        num_classes = _num_classes(cfg.model)
        self.classes, self.palette = dataset_meta(cfg, meta, num_classes,
                                                  DATASETS)
        self.model.dataset_meta = dict(
            classes=self.classes, palette=self.palette)

    def predict(self, images: List[np.ndarray]) -> List[InstancePrediction]:
        """Predict BGR uint8 images (H, W, 3) of any sizes."""
        from mmdet.apis import inference_detector
        if not images:
            return []
        results = inference_detector(self.model, list(images))
        return [_instances(r.pred_instances) for r in results]


def _num_classes(model_cfg) -> int:
    for head in ('roi_head', 'bbox_head'):
        cfg = model_cfg.get(head) or {}
        bbox = cfg.get('bbox_head', cfg)
        if isinstance(bbox, dict) and 'num_classes' in bbox:
            return bbox['num_classes']
    return 0


def _instances(pred) -> InstancePrediction:
    masks = pred.get('masks')
    return InstancePrediction(
        boxes=pred.bboxes.cpu().numpy().astype(np.float32),
        scores=pred.scores.cpu().numpy().astype(np.float32),
        labels=pred.labels.cpu().numpy().astype(np.int64),
        masks=None if masks is None else masks.cpu().numpy().astype(bool))
