"""An exported model as an mmseg segmentor, so that ``tools/test.py`` runs
it over a config's test set with the config's evaluators."""
from types import SimpleNamespace
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from torch import Tensor

from ..engine import ConfigError
from ..models.segmentors.segplug_encoder_decoder import SegplugEncoderDecoder
from .onnx_segmenter import out_channels, run_model, static_shape
from .parity import ort_session
from .sidecar import read_sidecar


def _postprocessor(cfg: Optional[dict], meta: dict):
    """The config's postprocessor; a ``CRFAsRNN`` with the parameters the
    sidecar kept (its learned ones)."""
    if not cfg:
        return None
    crf = MODELS.build(cfg)
    state = meta.get('postprocessor_state')
    if state:
        crf.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    elif any(True for _ in crf.parameters()):
        raise ConfigError(
            f'the config\'s postprocessor ({cfg.get("type")}) has learned '
            'parameters but the sidecar keeps none; export the model again '
            'with segplug export')
    return crf.eval()


@MODELS.register_module()
class OnnxEncoderDecoder(SegplugEncoderDecoder):
    """A model that ``tools/export.py`` wrote (fp32 or int8), run by
    onnxruntime in place of the network of a ``SegplugEncoderDecoder``.

    Everything around the network is the config's: the data preprocessor,
    the test mode (whole, slide, overlap_tile), the resize of the logits to
    the image and the postprocessor (e.g. the dense CRF). The network's
    forward is the exported graph; a static model gets each input padded
    at the bottom and right to its exported shape and its logits cut back.

    Args:
        onnx_path (str): The exported model; its sidecar lies beside it.
        data_preprocessor (dict): The config's ``SegDataPreProcessor``.
        test_cfg (dict): The config's ``model.test_cfg``.
        postprocessor (dict, optional): The config's postprocessor.
        threads (int): onnxruntime's intra-op threads; 0: its default.
    """

    def __init__(self,
                 onnx_path: str,
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 postprocessor: Optional[dict] = None,
                 threads: int = 0,
                 **unused):
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor)
        self.onnx_path = onnx_path
        self.meta = read_sidecar(onnx_path)
        if self.meta['output']['argmax']:
            raise ConfigError(f'{onnx_path} returns labels (--argmax); '
                              'export the model with logits to test it')
        self.session = ort_session(onnx_path, threads)
        self.num_classes = self.meta['num_classes']
        self.out_channels = out_channels(self.meta)
        self.align_corners = self.meta['align_corners']
        threshold = self.meta.get('threshold')
        self.decode_head = SimpleNamespace(
            num_classes=self.num_classes,
            out_channels=self.out_channels,
            threshold=0.3 if threshold is None else threshold)
        self.test_cfg = ConfigDict(test_cfg or {})
        self.test_cfg.setdefault('mode', 'whole')
        self.postprocessor = _postprocessor(postprocessor, self.meta)
        self.run_postprocessor = True
        self.channels_last = False

    @property
    def with_auxiliary_head(self) -> bool:
        return False

    def _raw_logits(self, inputs: Tensor) -> Tensor:
        shape = static_shape(self.meta)
        if shape is not None and (inputs.shape[2] > shape[0]
                                  or inputs.shape[3] > shape[1]):
            raise ConfigError(
                f'{self.onnx_path} takes inputs up to {shape[0]}x{shape[1]} '
                f'(a static export); got {inputs.shape[2]}x{inputs.shape[3]}'
                ': export it with --dynamic, or at a --shape the test '
                "images fit, or test with mode='slide' and its crop_size")
        x = inputs.detach().cpu().float().numpy()
        logits = [
            run_model(self.session, x[i:i + 1], self.meta)
            for i in range(len(x))
        ]
        return torch.from_numpy(np.concatenate(logits)).to(inputs.device)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The exported graph's logits at the input's size (it resizes as
        the decode head's ``predict`` does)."""
        return self._raw_logits(inputs)

    def extract_feat(self, inputs: Tensor):
        raise NotImplementedError(
            'an exported model gives logits only; it has no features')

    def loss(self, inputs, data_samples):
        raise NotImplementedError('an exported model cannot be trained')

    def init_weights(self) -> None:
        pass
