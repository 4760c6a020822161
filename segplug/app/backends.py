"""The models behind the browser app: one trained model, run by each
backend it can be given to, with and without the dense CRF, each call
timed."""
import copy
import os.path as osp
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..apis import PytorchDetector, PytorchSegmenter, read_config
from ..apis.infer_instances import is_detection_config
from ..apis.model_loading import CRF_CFG, with_crf
from ..engine import ConfigError

PYTORCH, FAST = 'PyTorch', 'PyTorch --fast'
MAX_CRF_ITERS = 30
# models kept built (each backend, each CRF iteration count asked for): a
# VOC model holds hundreds of MB
KEEP_BUILT = 6


@dataclass
class Timed:
    """A prediction (labels, or an ``InstancePrediction``) and the seconds
    its call took."""
    result: object
    seconds: float


def _crf_settings(cfg) -> dict:
    """The dense CRF's settings: the config's own ``DenseCRF``, else
    segplug's defaults."""
    own = dict(cfg.model.get('postprocessor') or {})
    return own if own.get('type') == 'DenseCRF' else dict(CRF_CFG)


def _onnx_name(path: str) -> str:
    from ..deploy import read_sidecar
    quantization = read_sidecar(path).get('quantization')
    kind = 'int8' if quantization else 'fp32'
    return f'onnxruntime {kind} ({osp.basename(path)})'


class AppModels:
    """A trained model as the app runs it.

    A semantic segmentation config gets the backends 'PyTorch', 'PyTorch
    --fast' and one 'onnxruntime' per exported model in ``onnx``; each is
    built on first use and kept, with the dense CRF at each iteration count
    asked for (the last ``KEEP_BUILT`` of them). An mmdet config gets
    'PyTorch' only, and no CRF. The
    PyTorch model is built at once, so that a bad config or checkpoint
    stops the app before it serves.

    Args:
        config (str | Config): The config the model was trained with.
        checkpoint (str): Its checkpoint (.pth).
        onnx (Sequence[str]): Models from ``segplug export`` of it (fp32
            or int8), each a backend.
        device (str): 'cpu' or 'cuda[:i]'. Default 'cpu'.
    """

    def __init__(self,
                 config,
                 checkpoint: str,
                 onnx: Sequence[str] = (),
                 device: str = 'cpu'):
        self.cfg = read_config(config)
        self.checkpoint, self.device = checkpoint, device
        self.instances = is_detection_config(self.cfg)
        if self.instances and onnx:
            raise ConfigError('--onnx: the app runs mmdet configs with '
                              'PyTorch only')
        for path in onnx:
            if not osp.isfile(path):
                raise ConfigError(f'ONNX model not found: {path}')
        self.onnx = {_onnx_name(path): path for path in onnx}
        self._built: OrderedDict = OrderedDict()
        first = self._model(PYTORCH, 0)
        self.classes, self.palette = first.classes, first.palette

    @property
    def backends(self) -> List[str]:
        if self.instances:
            return [PYTORCH]
        return [PYTORCH, FAST, *self.onnx]

    def _model(self, backend: str, crf_iters: int):
        key = (backend, crf_iters)
        if key not in self._built:
            self._built[key] = self._build(backend, crf_iters)
            if len(self._built) > KEEP_BUILT:
                self._built.popitem(last=False)
        self._built.move_to_end(key)
        return self._built[key]

    def _build(self, backend: str, crf_iters: int):
        if self.instances:
            return PytorchDetector(self.cfg, self.checkpoint, self.device)
        crf = (
            dict(_crf_settings(self.cfg), num_iters=crf_iters)
            if crf_iters else None)
        if backend in self.onnx:
            from ..deploy import OnnxSegmenter
            return OnnxSegmenter(self.onnx[backend], postprocessor=crf)
        cfg = copy.deepcopy(self.cfg)
        cfg.model.pop('postprocessor', None)
        if crf:
            cfg = with_crf(cfg, True)[0]
            cfg.model.postprocessor = crf
        return PytorchSegmenter(
            cfg, self.checkpoint, self.device, fast=backend == FAST)

    def predict(self,
                image: np.ndarray,
                backend: str,
                crf_iters: int = 0) -> Timed:
        """``image`` (BGR uint8) by ``backend``, refined by the dense CRF's
        ``crf_iters`` mean-field iterations unless 0: (H, W) int64 labels,
        or an ``InstancePrediction`` for an mmdet config."""
        if backend not in self.backends:
            raise ValueError(f'backend: expected one of {self.backends}, '
                             f'got {backend!r}')
        if self.instances and crf_iters:
            raise ValueError('crf_iters: the dense CRF is for semantic '
                             'segmentation, not an mmdet config')
        if not 0 <= crf_iters <= MAX_CRF_ITERS:
            raise ValueError(f'crf_iters: expected 0 to {MAX_CRF_ITERS}, '
                             f'got {crf_iters}')
        model = self._model(backend, crf_iters)
        start = time.perf_counter()
        result = model.predict([image])[0]
        seconds = time.perf_counter() - start
        return Timed(result if self.instances else result.labels, seconds)


def val_images(cfg, limit: int = 24) -> Tuple[List[str], Optional[str]]:
    """Up to ``limit`` image paths of the config's val set, and None; or no
    paths and a line saying why (e.g. the data is not there)."""
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        dataset = DATASETS.build(copy.deepcopy(cfg.val_dataloader.dataset))
        count = min(len(dataset), limit)
        paths = [dataset.get_data_info(i)['img_path'] for i in range(count)]
    except Exception as err:  # any missing or broken data: the app goes on
        return [], f'no val images: {type(err).__name__}: {err}'
    return [p for p in paths if osp.isfile(p)], None
