"""segplug's PyTorch inference backend for mmseg configs."""
import copy
from collections import OrderedDict
from typing import List, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from ..engine.errors import DeviceError
from ..engine.inference.fast_path import (fast_from_config, fast_options,
                                          make_fast)
from ..engine.inference.trained_model import load_trained_model
from ..models.segmentors.postprocessor_inputs import class_probs
from .model_loading import (dataset_meta, device_checked, read_config,
                            test_pipeline_cfg, with_crf)
from .prediction import Segmenter, SegPrediction


class PytorchSegmenter(Segmenter):
    """A trained mmseg/segplug segmentor as a :class:`Segmenter`.

    Images of different sizes go through the network in groups of equal
    size (mmseg stacks a batch and cannot pad it at test time without
    changing the prediction, mmseg issue #2327), so a batch predicts
    exactly what each image predicts alone.

    Args:
        config (str | Config): An mmseg config (segplug's parts allowed).
        checkpoint (str): Its trained weights; every weight outside
            ``auxiliary_head`` must fit.
        device (str): 'cpu' or 'cuda[:i]'. Default 'cpu'.
        crf (bool): Refine with segplug's ``DenseCRF`` (DeepLab v1's
            settings) when the config has no ``model.postprocessor``; a
            config's own postprocessor always runs. Default False.
        fast (bool | dict | None): The fast inference path
            (:func:`segplug.engine.inference.fast_path.make_fast`): True for
            its defaults, a dict of its options, False for fp32; None takes
            the config's ``fast_inference`` key. Default None.

    Attributes:
        uses_config_postprocessor (bool): ``crf`` asked for and the
            config's own postprocessor runs instead.
        fast (str | None): What the fast path applied, one line; None on
            the fp32 path.
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 device: str = 'cpu',
                 crf: bool = False,
                 fast=None):
        from mmseg.registry import DATASETS
        cfg, own = with_crf(copy.deepcopy(read_config(config)), crf)
        self.uses_config_postprocessor = crf and own
        self.cfg = cfg
        self.model, meta = load_trained_model(cfg, checkpoint,
                                              device_checked(device or 'cpu'))
        num_classes = self.model.decode_head.num_classes
        self.classes, self.palette = dataset_meta(cfg, meta, num_classes,
                                                  DATASETS)
        self.model.dataset_meta = dict(
            classes=self.classes, palette=self.palette)
        self.pipeline = Compose(test_pipeline_cfg(cfg))
        options = (
            fast_from_config(cfg) if fast is None else fast_options(fast))
        self.fast = (None if options is None else make_fast(
            self.model, options))

    @property
    def postprocessor(self):
        """The model's postprocessor (e.g. ``DenseCRF``), or None."""
        return getattr(self.model, 'postprocessor', None)

    def predict(self,
                images: List[np.ndarray],
                with_probs: bool = False) -> List[SegPrediction]:
        """Predict BGR uint8 images (H, W, 3) of any sizes, in one batch
        per size; each prediction at its image's own size."""
        if self.postprocessor is not None:
            for img in images:
                _check_crf_memory(img.shape[:2],
                                  self.model.decode_head.num_classes,
                                  next(self.model.parameters()).device)
        samples = [self.pipeline(dict(img=_checked(img))) for img in images]
        groups = OrderedDict()
        for i, sample in enumerate(samples):
            groups.setdefault(tuple(sample['inputs'].shape), []).append(i)
        out = [None] * len(images)
        for indices in groups.values():
            batch = pseudo_collate([samples[i] for i in indices])
            with torch.no_grad():
                results = self._run(batch)
            for i, result in zip(indices, results):
                out[i] = self._prediction(result, images[i], with_probs)
        return out

    def _run(self, batch: dict) -> list:
        # the postprocessor runs below, on the original image itself
        # rather than on the network input mapped back to pixels
        keep = getattr(self.model, 'run_postprocessor', None)
        if keep is not None:
            self.model.run_postprocessor = False
        try:
            return self.model.test_step(batch)
        finally:
            if keep is not None:
                self.model.run_postprocessor = keep

    def _prediction(self, result, image: np.ndarray,
                    with_probs: bool) -> SegPrediction:
        if self.postprocessor is None:
            labels = result.pred_sem_seg.data[0]
            probs = (
                class_probs(result.seg_logits.data) if with_probs else None)
        else:
            rgb = torch.from_numpy(np.ascontiguousarray(image[..., ::-1]))
            probs = self.postprocessor(
                class_probs(result.seg_logits.data),
                rgb.to(result.seg_logits.data.device))
            labels = probs.argmax(0)
        return SegPrediction(
            labels=labels.cpu().numpy().astype(np.int64),
            probs=None if probs is None or not with_probs else
            probs.cpu().numpy().astype(np.float32))


def _checked(img: np.ndarray) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise TypeError('predict: expected BGR uint8 arrays, got '
                        f'{getattr(img, "dtype", type(img).__name__)}')
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, 2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError('predict: expected images of shape (H, W, 3), got '
                         f'{img.shape}')
    return img


def _available_bytes(device: torch.device) -> int:
    """Memory free for a computation on ``device``: the CUDA device's free
    memory, or the system's available memory (Linux), or a large number
    where neither can be read."""
    if device.type == 'cuda':
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 62


def _check_crf_memory(size, num_classes: int, device) -> None:
    """Refuse the dense CRF on an image it has not the memory for, before
    it starts (the system would otherwise kill the process, or swap for
    hours).

    Raises:
        DeviceError: naming the image's size, the memory it needs and the
            memory there is.
    """
    from ..models.postprocessors import dense_crf_bytes
    needed = dense_crf_bytes(size[0], size[1], num_classes)
    free = _available_bytes(torch.device(device))
    if needed > free:
        gib = 1 << 30
        raise DeviceError(
            f'the dense CRF on a {size[1]}x{size[0]} image of '
            f'{num_classes} classes needs about {needed / gib:.1f} GiB, and '
            f'{free / gib:.1f} GiB are free; downscale the image, or predict '
            'without the CRF')
