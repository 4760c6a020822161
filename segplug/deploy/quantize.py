"""int8 quantization of an exported model with onnxruntime, calibrated on
the config's training images, with an accuracy check and fallback.

The model is quantized statically in the QDQ format: per-channel symmetric
int8 weights, asymmetric uint8 activations (onnxruntime's fast form on x86
with VNNI), ranges from the min and max over the calibration images.
Kept in fp32 from the start, for a little accuracy at a few percent of
the time (docs/deploy_cpu.md measures both): the first convolution (it
sees the normalised image), the classifier (its logits decide the
labels) and every resize (it interpolates the logits). Then the int8
model's labels are compared with the fp32 model's on training images the
calibration did not see; under the target share, the convolutions whose
outputs the quantization disturbs most (by signal-to-quantization-noise
ratio, measured on one calibration image) go back to fp32, a few at a
time, until the target is met or the rounds run out.
"""
import os
import os.path as osp
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Optional, Sequence

import numpy as np

from ..engine import ConfigError

#: share of pixels whose label the int8 model must give as the fp32 one,
#: on held-out training images
TARGET_AGREEMENT = 0.995
#: convolutions put back in fp32 per fallback round, and the rounds
FALLBACK_STEP = 4
FALLBACK_ROUNDS = 4


@dataclass
class QuantizationReport:
    """What was quantized, on what, and how close it stays to fp32."""
    engine: str
    calibration: dict
    kept_fp32: List[dict]
    quantized_convs: int
    agreement: float
    check_inputs: int
    target: float
    rounds: List[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(
            engine=self.engine,
            calibration=self.calibration,
            kept_fp32=self.kept_fp32,
            quantized_convs=self.quantized_convs,
            check=dict(
                agreement=self.agreement,
                inputs=self.check_inputs,
                target=self.target,
                rounds=self.rounds))


def _image_paths(cfg, loader: str) -> List[str]:
    from ..engine.checks.data.check import leaf_dataset_cfgs
    from ..engine.checks.data.sample_list import leaf_samples
    paths = []
    for ds_cfg in leaf_dataset_cfgs(cfg[loader]['dataset']):
        leaf = leaf_samples(loader, ds_cfg, cfg.get('default_scope'))
        if leaf is not None:
            paths += [info['img_path'] for info in leaf.infos]
    return list(dict.fromkeys(paths))


def training_images(cfg, count: int) -> List[str]:
    """Image paths of the config's training set (through dataset
    wrappers), in the split file's order, leaving out any image the test
    or val set also lists; ConfigError where the first ``count`` are not
    on disk."""
    if not cfg.get('train_dataloader'):
        raise ConfigError('--quantize int8: the config has no '
                          'train_dataloader to calibrate on')
    held_out = set()
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            try:
                held_out.update(map(osp.realpath, _image_paths(cfg, loader)))
            except Exception:  # no test data here: nothing to leave out
                pass
    paths = [
        p for p in _image_paths(cfg, 'train_dataloader')
        if osp.realpath(p) not in held_out
    ]
    missing = [p for p in paths[:count] if not osp.isfile(p)]
    if not paths or missing:
        raise ConfigError(
            '--quantize int8: the training images to calibrate on are not '
            f'on disk ({missing[0] if missing else "none listed"}); '
            'prepare the training set first')
    return paths


def _read(path: str) -> np.ndarray:
    import mmcv
    image = mmcv.imread(path, channel_order='bgr')
    if image is None:
        raise ConfigError(f'--quantize int8: cannot read the training '
                          f'image {path}')
    return image


def input_batches(paths: Sequence[str], meta: dict) -> Iterator[np.ndarray]:
    """The arrays the deployed model is fed for each image (one for the
    whole image, one per window with a slide test mode)."""
    from .onnx_segmenter import model_inputs
    for path in paths:
        yield from model_inputs(_read(path), meta)


class _Reader:
    """onnxruntime's calibration data reader over ``inputs``, read in
    ranges (``CalibStridedMinMax``): the calibrator merges each range's
    minima and maxima, so that it holds the intermediate tensors of one
    input at a time, not of all."""

    def __init__(self, inputs: Sequence[np.ndarray]):
        self.inputs = list(inputs)
        self.set_range(0, len(self.inputs))

    def __len__(self) -> int:
        return len(self.inputs)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.batches = iter(self.inputs[start_index:end_index])

    def get_next(self) -> Optional[dict]:
        x = next(self.batches, None)
        return None if x is None else {'input': x}


def _graph_nodes(path: str):
    import onnx
    return list(onnx.load(path, load_external_data=False).graph.node)


def always_fp32(nodes) -> List[dict]:
    """The nodes kept in fp32 before any check: the first convolution,
    the last one (the classifier) and every resize."""
    convs = [n for n in nodes if n.op_type == 'Conv']
    kept = []
    if convs:
        kept.append(
            dict(
                node=convs[0].name,
                op='Conv',
                why='first convolution (the normalised image)'))
        kept.append(
            dict(
                node=convs[-1].name, op='Conv', why='classifier (the logits)'))
    kept += [
        dict(node=n.name, op='Resize', why='bilinear resize') for n in nodes
        if n.op_type == 'Resize'
    ]
    return kept


def _quantize(pre_path: str, out_path: str, reader, cache: str,
              exclude) -> None:
    """One quantization; the ranges the calibration finds are kept in
    ``cache`` for the next (the fallback rounds reuse them)."""
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    quantize_static(
        pre_path,
        out_path,
        reader,
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=list(exclude),
        calibrate_method=CalibrationMethod.MinMax,
        calibration_cache_path=cache,
        extra_options=dict(
            ActivationSymmetric=False,
            WeightSymmetric=True,
            CalibStridedMinMax=1))


def agreement(fp32_path: str, int8_path: str,
              inputs: Sequence[np.ndarray]) -> float:
    """Share of pixels whose argmax the two models agree on, over
    ``inputs``."""
    from .parity import ort_session
    sessions = [ort_session(p) for p in (fp32_path, int8_path)]
    same = total = 0
    for x in inputs:
        a, b = (s.run(None, {'input': x})[0].argmax(1) for s in sessions)
        same += int((a == b).sum())
        total += a.size
    return same / max(total, 1)


def sensitive_convs(fp32_path: str, int8_path: str, x: np.ndarray,
                    candidates: Sequence[str]) -> List[str]:
    """The convolutions of ``candidates``, worst first, by the
    signal-to-quantization-noise ratio of their outputs in the int8 model
    against the fp32 model on input ``x``."""
    from onnxruntime.quantization.qdq_loss_debug import (
        collect_activations, compute_signal_to_quantization_noice_ratio,
        modify_model_output_intermediate_tensors)
    graph = _graph_nodes(fp32_path)
    nodes = {n.name: n for n in graph}
    consumers = {}
    for n in graph:
        for t in n.input:
            consumers.setdefault(t, []).append(n)
    outputs = {}
    for c in candidates:
        if c not in nodes:
            continue
        tensor = nodes[c].output[0]
        after = consumers.get(tensor, [])
        # the quantizer folds an activation into the convolution before
        # it: the int8 model names the convolution's output after it
        if len(after) == 1 and after[0].op_type in ('Relu', 'Clip'):
            tensor = after[0].output[0]
        outputs[tensor] = c

    with tempfile.TemporaryDirectory() as tmp:
        acts = []
        for i, path in enumerate((fp32_path, int8_path)):
            aug = osp.join(tmp, f'{i}.onnx')
            modify_model_output_intermediate_tensors(path, aug)
            acts.append(collect_activations(aug, [{'input': x}]))
    ratios = {}
    for tensor, conv in outputs.items():
        if tensor in acts[0] and tensor in acts[1]:
            ratios[conv] = float(
                compute_signal_to_quantization_noice_ratio(
                    acts[0][tensor], acts[1][tensor]))
    return sorted(ratios, key=ratios.get)


def quantize_int8(fp32_path: str,
                  out_path: str,
                  calib_inputs: Sequence[np.ndarray],
                  check_inputs: Sequence[np.ndarray],
                  target: float = TARGET_AGREEMENT,
                  log: Callable[[str], None] = print,
                  keep_fp32: bool = True) -> QuantizationReport:
    """Quantize the model at ``fp32_path`` to ``out_path``; calibrate on
    ``calib_inputs`` (what the model is fed: :func:`input_batches` of
    training images), check on ``check_inputs`` (of training images the
    calibration does not see) and fall back to fp32 for the most disturbed
    convolutions while their labels agree on less than ``target``. With
    ``keep_fp32`` False, the first convolution, the classifier and the
    resizes are quantized too (what they cost is measured so)."""
    import onnxruntime
    from onnxruntime.quantization.shape_inference import quant_pre_process
    os.makedirs(osp.dirname(osp.abspath(out_path)) or '.', exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = osp.join(tmp, 'pre.onnx')
        try:
            quant_pre_process(fp32_path, pre, skip_symbolic_shape=True)
        except Exception:  # shape inference is an optimisation here
            pre = fp32_path
        nodes = _graph_nodes(pre)
        kept = always_fp32(nodes) if keep_fp32 else []
        convs = [n.name for n in nodes if n.op_type == 'Conv']
        rounds = []
        reader = _Reader(calib_inputs)
        cache = osp.join(tmp, 'ranges.json')
        while True:
            _quantize(pre, out_path, reader, cache, [k['node'] for k in kept])
            share = agreement(pre, out_path, check_inputs)
            rounds.append(dict(kept_fp32=len(kept), agreement=share))
            log(f'int8: {len(convs) - _count(kept, "Conv")} of {len(convs)} '
                f'convolutions quantized, labels as fp32 on '
                f'{100 * share:.3f}% of the pixels of {len(check_inputs)} '
                f'held-out inputs (target {100 * target:.1f}%)')
            if share >= target or len(rounds) > FALLBACK_ROUNDS:
                break
            names = {k['node'] for k in kept}
            worst = sensitive_convs(
                pre, out_path, calib_inputs[0],
                [c for c in convs if c not in names])[:FALLBACK_STEP]
            if not worst:
                break
            kept += [
                dict(
                    node=c,
                    op='Conv',
                    why='accuracy fallback (lowest signal-to-noise ratio)')
                for c in worst
            ]
    return QuantizationReport(
        engine=f'onnxruntime {onnxruntime.__version__} quantize_static',
        calibration=dict(
            inputs=len(calib_inputs),
            method='MinMax',
            format='QDQ',
            weights='int8, symmetric, per channel',
            activations='uint8, asymmetric, per tensor'),
        kept_fp32=kept,
        quantized_convs=len(convs) - _count(kept, 'Conv'),
        agreement=rounds[-1]['agreement'],
        check_inputs=len(check_inputs),
        target=target,
        rounds=rounds)


def _count(kept, op) -> int:
    return sum(k['op'] == op for k in kept)
