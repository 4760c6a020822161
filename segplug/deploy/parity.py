"""The check after an export: onnxruntime against PyTorch on one input."""
import os.path as osp
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from ..engine import CheckpointError

MAX_LOGIT_DIFF = 1e-3
MIN_AGREEMENT = 0.999


@dataclass
class Parity:
    """How onnxruntime's output compares with PyTorch's on ``source``."""
    max_diff: Optional[float]  # None for an --argmax graph
    agreement: float
    source: str

    @property
    def ok(self) -> bool:
        return ((self.max_diff is None or self.max_diff <= MAX_LOGIT_DIFF)
                and self.agreement >= MIN_AGREEMENT)


def first_test_image(cfg: Config) -> Optional[str]:
    """The first image of the config's test set, if its files exist."""
    from mmseg.registry import DATASETS
    dataset_cfg = (cfg.get('test_dataloader') or {}).get('dataset')
    if not dataset_cfg:
        return None
    try:
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=[]))
        path = dataset.get_data_info(0)['img_path']
    except Exception:  # no data here: the caller uses a random image
        return None
    return path if osp.isfile(path) else None


def sample_image(cfg: Config, shape) -> tuple:
    """(BGR uint8 image, where it came from): the test set's first image,
    else a seeded random one of ``shape``."""
    import mmcv
    path = first_test_image(cfg)
    if path is not None:
        image = mmcv.imread(path, channel_order='bgr')
        if image is not None:
            return image, path
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (*shape, 3),
                         dtype=np.uint8), 'a seeded random image')


def ort_session(path: str, threads: int = 0):
    """An onnxruntime session of the model at ``path``.

    Raises:
        CheckpointError: the file is not an ONNX model onnxruntime loads
            (onnxruntime's own error is a protobuf traceback).
    """
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(
            path, options, providers=['CPUExecutionProvider'])
    except Exception as err:  # onnxruntime's errors share no base class
        what = str(err).strip().splitlines()[0] if str(err) else type(
            err).__name__
        raise CheckpointError(
            f'{path} is not an ONNX model onnxruntime can load ({what}); '
            'export one with segplug export') from None


def compare_with_onnxruntime(graph: nn.Module, onnx_path: str,
                             inputs: np.ndarray, source: str) -> Parity:
    """Run ``graph`` (PyTorch) and the exported model on ``inputs``
    (N, 3, H, W float32); the largest logit difference and the share of
    pixels whose class agrees."""
    session = ort_session(onnx_path)
    ours = session.run(None, {'input': inputs})[0]
    with torch.no_grad():
        theirs = graph(torch.from_numpy(inputs)).numpy()
    if graph.argmax:
        return Parity(None, float((ours == theirs).mean()), source)
    return Parity(
        float(np.abs(ours - theirs).max()),
        float((ours.argmax(1) == theirs.argmax(1)).mean()), source)


def other_size(shape) -> tuple:
    """A size that no stride divides as ``shape`` may: what a --dynamic
    export is checked at besides the traced one."""
    return (shape[0] + shape[0] // 4 + 1, shape[1] + shape[1] // 2 + 3)


def compare_at_other_size(graph: nn.Module, onnx_path: str, shape) -> Parity:
    """:func:`compare_with_onnxruntime` on a seeded random input of
    :func:`other_size`; a graph that does not run there raises
    ExportError."""
    from .export_onnx import ExportError
    size = other_size(shape)
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((1, 3, *size)).astype(np.float32)
    source = f'a random {size[0]}x{size[1]} input'
    try:
        return compare_with_onnxruntime(graph, onnx_path, inputs, source)
    except Exception as err:  # onnxruntime's errors have no common base
        reason = str(err).strip().splitlines()[0][:300]
        raise ExportError(
            f'--dynamic: {onnx_path} does not run at {size[0]}x{size[1]} '
            f'(a size the traced {shape[0]}x{shape[1]} fixed somewhere in '
            f'the graph): {reason}; export at a fixed --shape without '
            '--dynamic') from err
