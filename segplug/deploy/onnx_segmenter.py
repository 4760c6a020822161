"""segplug's onnxruntime inference backend."""
import re
from functools import partial
from typing import Callable, List, Optional, Union

import numpy as np
import torch

from ..apis import Segmenter, SegPrediction
from ..engine import ConfigError
from ..models.postprocessors import dense_crf
from .parity import ort_session
from .preprocess import (pad_to, preprocess, resize_logits, slide_cfg,
                         slide_windows)
from .sidecar import read_sidecar


def static_shape(meta: dict) -> Optional[tuple]:
    """The (H, W) a static export takes, None for a dynamic one."""
    return None if meta['input']['dynamic'] else tuple(
        meta['input']['shape'][2:])


def model_inputs(image: np.ndarray, meta: dict) -> List[np.ndarray]:
    """What the deployed model is fed for one BGR image: the pre-processed
    image, or with a slide test mode each window of it (padded to the
    exported shape of a static model)."""
    x, _ = preprocess(image, meta)
    slide = slide_cfg(meta)
    if not slide:
        return [x]
    shape = static_shape(meta)
    crops = [
        np.ascontiguousarray(x[:, :, y1:y2, x1:x2]) for y1, y2, x1, x2 in
        slide_windows(x.shape[2:], slide['crop_size'], slide['stride'])
    ]
    return crops if shape is None else [
        pad_to(c, shape, meta.get('pad_val', 0)) for c in crops
    ]


def out_channels(meta: dict) -> int:
    """The logits' channels: the classes, or 1 for a sigmoid head."""
    return meta.get('out_channels') or meta['num_classes']


def run_model(session, x: np.ndarray, meta: dict) -> np.ndarray:
    """Logits (N, C, h, w) of the model for ``x`` (N, 3, h, w): a static
    model gets ``x`` padded to its shape and its logits are cut back."""
    shape = static_shape(meta)
    h, w = x.shape[2:]
    if shape is not None and (h, w) != shape:
        x = pad_to(x, shape, meta.get('pad_val', 0))
    return session.run(None, {'input': x})[0][:, :, :h, :w]


def slide_logits(run: Callable, x: np.ndarray, crop, stride,
                 channels: int) -> np.ndarray:
    """mmseg's ``slide_inference`` on ``x`` (1, 3, H, W): ``run`` on each
    window, the logits of overlapping windows averaged."""
    h, w = x.shape[2:]
    preds = np.zeros((1, channels, h, w), np.float32)
    count = np.zeros((1, 1, h, w), np.float32)
    for y1, y2, x1, x2 in slide_windows((h, w), crop, stride):
        preds[:, :, y1:y2,
              x1:x2] += run(np.ascontiguousarray(x[:, :, y1:y2, x1:x2]))
        count[:, :, y1:y2, x1:x2] += 1
    return preds / count


def sidecar_postprocessor(cfg: Optional[dict],
                          state: Optional[dict]) -> Callable:
    """(probs, rgb image) -> marginals, from a sidecar's postprocessor
    config: a ``CRFAsRNN`` with the learned parameters the sidecar holds,
    else :func:`dense_crf` with the config's settings (its defaults for
    none)."""
    cfg = dict(cfg or {})
    kind = cfg.pop('type', 'DenseCRF')
    if 'test_iters' in cfg:  # CRFAsRNN's name for num_iters in segplug 0.1
        cfg['num_iters'] = cfg.pop('test_iters')
    if kind != 'CRFAsRNN':
        return partial(dense_crf, **cfg)
    from mmseg.registry import MODELS
    if not state:
        raise ConfigError('the sidecar has a CRFAsRNN postprocessor but no '
                          'postprocessor_state (its learned parameters); '
                          'export the model again with segplug export')
    crf = MODELS.build(dict(cfg, type=kind))
    crf.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return crf.eval()


class OnnxSegmenter(Segmenter):
    """Predict with a model that ``tools/export.py`` wrote, under
    onnxruntime, with the pre- and post-processing mmseg's test pipeline
    applies (read from the sidecar ``MODEL.onnx.json``).

    Each image is resized as the config's test pipeline does, normalised,
    put in the config's channel order and padded (to the exported shape of
    a static model); with a slide test mode the model runs on windows of
    the crop size and stride of the config's ``test_cfg``, as mmseg's
    ``slide_inference`` (a static model's windows padded to its shape);
    the logits are cut back to the image, resized to its
    own size (bilinear) and turned into probabilities (softmax). The dense
    CRF runs where ``crf`` is set or the config had a postprocessor; a
    ``CRFAsRNN`` with the parameters it learned.

    Args:
        onnx_path (str): The exported model; its sidecar lies beside it.
        crf (bool): Refine with the dense CRF, with the sidecar's settings
            or :func:`segplug.models.postprocessors.dense_crf`'s defaults.
            Default: False.
        postprocessor (str | dict | None): 'sidecar' (default): the
            sidecar's postprocessor where it has one, as ``crf`` says
            otherwise; None: none, whatever the sidecar holds; a dict:
            that postprocessor config instead of the sidecar's, e.g.
            ``dict(type='DenseCRF', num_iters=5)``.
        device (str): 'cpu', or 'cuda' / 'cuda:N' (onnxruntime's CUDA
            provider, where the installed onnxruntime has it).
            Default: 'cpu'.
    """

    def __init__(self,
                 onnx_path: str,
                 crf: bool = False,
                 device: str = 'cpu',
                 postprocessor: Union[str, dict, None] = 'sidecar'):
        if device != 'cpu' and not re.fullmatch(r'cuda(:\d+)?', device):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', "
                             f'got {device!r}')
        self.meta = read_sidecar(onnx_path)
        if self.meta['output']['argmax']:
            raise ValueError(f'{onnx_path} returns labels (--argmax); '
                             'expected a model exported with logits')
        self.classes = tuple(self.meta['classes'] or ())
        self.palette = [list(c) for c in self.meta['palette'] or ()]
        self.crf = self._postprocessor(postprocessor, crf)
        self.session = ort_session(onnx_path)
        if device != 'cpu':
            index = int(device.partition(':')[2] or 0)
            self.session.set_providers(
                ['CUDAExecutionProvider', 'CPUExecutionProvider'],
                [dict(device_id=index), {}])

    def _postprocessor(self, postprocessor, crf: bool) -> Optional[Callable]:
        if postprocessor is None:
            return None
        if isinstance(postprocessor, dict):
            return sidecar_postprocessor(postprocessor, None)
        if postprocessor != 'sidecar':
            raise ValueError("postprocessor: expected 'sidecar', None or a "
                             f'dict, got {postprocessor!r}')
        post = self.meta.get('postprocessor')
        if not (crf or post):
            return None
        return sidecar_postprocessor(post,
                                     self.meta.get('postprocessor_state'))

    def _logits(self, x: np.ndarray) -> np.ndarray:
        slide = slide_cfg(self.meta)
        run = partial(run_model, self.session, meta=self.meta)
        if slide is None:
            return run(x)
        return slide_logits(run, x, slide['crop_size'], slide['stride'],
                            out_channels(self.meta))

    def _probs(self, image: np.ndarray) -> torch.Tensor:
        x, size = preprocess(image, self.meta)
        logits = self._logits(x)[0]
        logits = resize_logits(logits, size, image.shape[:2],
                               self.meta['align_corners'])
        if logits.shape[0] == 1:
            # a one-channel (sigmoid) head: background and foreground, as
            # the CRF postprocessor sees it
            fg = logits.float().sigmoid()
            return torch.cat([1 - fg, fg])
        return logits.float().softmax(0)

    def predict(self,
                images: List[np.ndarray],
                with_probs: bool = False) -> List[SegPrediction]:
        """BGR uint8 images (H, W, 3) of any sizes -> labels (H, W) int64
        and, with ``with_probs``, probabilities (C, H, W) float32."""
        results = []
        for image in images:
            probs = self._probs(image)
            if self.crf is not None:
                rgb = np.ascontiguousarray(image[..., ::-1])
                probs = self.crf(probs, rgb)
            results.append(
                SegPrediction(
                    labels=probs.argmax(0).numpy().astype(np.int64),
                    probs=probs.numpy().astype(np.float32)
                    if with_probs else None))
        return results
