"""The fast inference path: batch norms folded into the convolutions before
them, the network under bf16 autocast where the device computes bf16
natively, its logits handed on in fp32.

At fp32 a segmentation network already runs close to the processor's
matrix-multiply peak, so the gain is in precision and in fusion: a folded BN
is one pass over the activations less, and bf16 halves the bytes each
convolution moves and doubles the multiply rate where the hardware has it.
Everything after the network (the resize to the image, argmax, the CRF and
other postprocessors) sees fp32 logits, exactly as on the fp32 path.

Which BN follows which convolution is read from one probe forward pass (the
convolution's output tensor is the BN's input), not from module order, and
the folded network is checked against the unfolded one on that probe; a
fold that changes the output is undone, so a network whose structure a hook
cannot see is slower, never wrong.
"""
import time
import types
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..config_types import is_detection
from ..errors import ConfigError

# The probe's image side: large enough for every pooling grid of the parts
# (PSP's 6x6 bins at output stride 8 need 48 px; ASPP's image pool any).
PROBE_SIZE = 128
# A folded network differs from the unfolded one by fp32 rounding only.
FOLD_RTOL = 1e-3

FAST_KEYS = ('fold_bn', 'bf16')
# bf16 must beat fp32 by this much on a matrix multiply to be used by 'auto'
MIN_BF16_SPEEDUP = 1.2


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` has bf16 instructions: CUDA's compute capability
    >= 8.0, a CPU with AVX512-BF16 or AMX (oneDNN's check)."""
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported(including_emulation=False)
    check = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    return bool(torch.backends.mkldnn.is_available() and check is not None
                and check())


_BF16_SPEEDUP: Dict[str, float] = {}


def bf16_matmul_speedup(device: torch.device) -> float:
    """bf16 over fp32 matrix-multiply throughput on ``device``, measured
    once per process: the best of 5 interleaved 1024^3 products of each
    (about 0.3 s on one core), after 2 warm-up products.

    Having the instructions is not enough: a CPU may run them at half the
    fp32 rate (some virtual machines do), and then bf16 only loses
    accuracy.
    """
    key = str(device)
    if key not in _BF16_SPEEDUP:
        a = torch.randn(1024, 1024, device=device)
        operands = [a, a.to(torch.bfloat16)]
        best = [float('inf')] * 2
        for round_ in range(7):
            for i, x in enumerate(operands):
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                x @ x
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                if round_ >= 2:  # the first two choose kernels, allocate
                    best[i] = min(best[i], time.perf_counter() - start)
        _BF16_SPEEDUP[key] = best[0] / best[1]
    return _BF16_SPEEDUP[key]


def bf16_pays(device: torch.device) -> Tuple[bool, str]:
    """Whether bf16 autocast speeds ``device`` up, and why not when not:
    native bf16 and, on a CPU, a measured matrix multiply at least
    :data:`MIN_BF16_SPEEDUP` times fp32's."""
    if not native_bf16(device):
        return False, f'this {device.type.upper()} has no native bf16'
    if device.type == 'cuda':
        return True, ''
    speedup = bf16_matmul_speedup(device)
    if speedup < MIN_BF16_SPEEDUP:
        return False, (f'this CPU has bf16 instructions but multiplies in '
                       f'bf16 at {speedup:.2f}x its fp32 rate')
    return True, ''


@dataclass(frozen=True)
class FastOptions:
    """The fast path's options, checked once, here: what ``--fast``, the
    config key ``fast_inference``, ``PytorchSegmenter(fast=...)`` and
    :class:`FastInferenceHook` hand to :func:`make_fast`.

    Args:
        fold_bn (bool): fold BN into the convolutions before it.
        bf16 (bool | str): run the network under bf16 autocast: 'auto'
            where the device has native bf16 that multiplies faster than
            fp32 (:func:`bf16_pays`; fp32 elsewhere, said once), True
            always, False never.

    The memory layout is the model's own (``SegplugEncoderDecoder``'s
    ``channels_last``), the one setting for training and inference.
    """
    fold_bn: bool = True
    bf16: Union[bool, str] = 'auto'

    def __post_init__(self):
        if not isinstance(self.fold_bn, bool):
            raise ConfigError('fast_inference.fold_bn: expected True or '
                              f'False, got {self.fold_bn!r}')
        if self.bf16 not in (True, False, 'auto'):
            raise ConfigError("fast_inference.bf16: expected True, False or "
                              f"'auto', got {self.bf16!r}")


def fast_options(value) -> Optional[FastOptions]:
    """The config key ``fast_inference`` (or ``fast=``) as options: True
    for the defaults, False or None for the fp32 path (None), a dict of
    :data:`FAST_KEYS`, or options already made."""
    if isinstance(value, FastOptions):
        return value
    if value is True:
        value = {}
    if value is False or value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError('fast_inference: expected True, False or a dict '
                          f'of {", ".join(FAST_KEYS)}, got {value!r}')
    unknown = sorted(set(value) - set(FAST_KEYS))
    if unknown:
        raise ConfigError(f'fast_inference: unknown keys {unknown}; '
                          f'expected some of {", ".join(FAST_KEYS)}')
    return FastOptions(**value)


def fast_from_config(cfg, switch: bool = False) -> Optional[FastOptions]:
    """The fast path's options for a run of ``cfg``: the config's
    ``fast_inference`` key, or the defaults when ``switch`` (``--fast``) is
    set; None for the fp32 path. An mmdet config is refused: its detectors
    have no ``encode_decode`` to put under autocast."""
    options = fast_options(True if switch else cfg.get('fast_inference'))
    if options is not None and is_detection(cfg):
        raise ConfigError('--fast (fast_inference) is for segmentation '
                          'configs; this is an mmdet config')
    return options


def add_fast_inference_hook(cfg, switch: bool = False) -> bool:
    """Add :class:`FastInferenceHook` to ``cfg``'s custom hooks when
    :func:`fast_from_config` gives options; whether it did."""
    options = fast_from_config(cfg, switch)
    if options is not None:
        cfg.custom_hooks = [
            *(cfg.get('custom_hooks') or []),
            dict(type='FastInferenceHook', **asdict(options))
        ]
    return options is not None


def _segmentor(model: nn.Module) -> nn.Module:
    """The encoder-decoder itself, inside a TTA or DDP wrapper."""
    while not hasattr(model, 'encode_decode') and hasattr(model, 'module'):
        model = model.module
    if not hasattr(model, 'encode_decode'):
        raise ConfigError(
            '--fast: expected a segmentor with encode_decode (mmseg '
            f'EncoderDecoder and its subclasses), got {type(model).__name__}')
    return model


def _probe(segmentor: nn.Module) -> Tuple[torch.Tensor, List[dict]]:
    param = next(segmentor.parameters())
    x = torch.randn(
        1,
        3,
        PROBE_SIZE,
        PROBE_SIZE,
        generator=torch.Generator().manual_seed(0)).to(param.device)
    shape = (PROBE_SIZE, PROBE_SIZE)
    return x, [dict(img_shape=shape, ori_shape=shape, pad_shape=shape)]


def conv_bn_pairs(segmentor: nn.Module, forward, x: torch.Tensor,
                  metas: List[dict]) -> List[Tuple[nn.Conv2d, _BatchNorm]]:
    """(conv, BN) pairs of ``segmentor`` where, in ``forward(x, metas)``
    (its fp32 ``encode_decode``), the BN's input is
    the conv's output unchanged, each of the two ran once and the BN, in
    eval mode, normalises with its running statistics."""
    calls: Dict[nn.Module, int] = {}
    conv_of: Dict[int, Tuple[nn.Conv2d, int]] = {}
    bn_input: Dict[_BatchNorm, Tuple[int, int]] = {}
    kept = []  # outputs held so that no id is reused during the pass

    def on_conv(module, inputs, output):
        calls[module] = calls.get(module, 0) + 1
        # the version tells an in-place op (ReLU) in between
        conv_of[id(output)] = module, output._version
        kept.append(output)

    def on_bn(module, inputs):
        calls[module] = calls.get(module, 0) + 1
        bn_input[module] = id(inputs[0]), inputs[0]._version

    handles = []
    for module in segmentor.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(on_conv))
        elif isinstance(module, _BatchNorm):
            handles.append(module.register_forward_pre_hook(on_bn))
    try:
        with torch.no_grad():
            forward(x, metas)
    finally:
        for handle in handles:
            handle.remove()
    pairs = []
    for bn, (source, version) in bn_input.items():
        conv, conv_version = conv_of.get(source, (None, None))
        if (conv is not None and conv_version == version and calls[conv] == 1
                and calls[bn] == 1 and not bn.training
                and bn.running_mean is not None):
            pairs.append((conv, bn))
    return pairs


def _fold(conv: nn.Conv2d, bn: _BatchNorm) -> None:
    scale = bn.running_var.add(bn.eps).rsqrt()
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    with torch.no_grad():
        weight = conv.weight * scale.reshape(-1, 1, 1, 1)
        bias = shift if conv.bias is None else conv.bias * scale + shift
        conv.weight = nn.Parameter(weight.detach())
        conv.bias = nn.Parameter(bias.detach())


def _parents(root: nn.Module) -> Dict[nn.Module, Tuple[nn.Module, str]]:
    return {
        child: (parent, name)
        for parent in root.modules()
        for name, child in parent.named_children()
    }


def fold_batch_norms(model: nn.Module) -> int:
    """Fold every eval-mode BN that directly follows a convolution into it
    (the BN becomes ``nn.Identity``), in place; undone, with a warning, if
    the network's output on the probe changes beyond fp32 rounding.

    Returns:
        int: the number of BNs folded.
    """
    segmentor = _segmentor(model)
    applied = getattr(segmentor, '_segplug_fast', None)
    forward = applied['encode_decode'] if applied else segmentor.encode_decode
    x, metas = _probe(segmentor)
    try:
        pairs = conv_bn_pairs(segmentor, forward, x, metas)
    except Exception as err:  # a network that takes no 128x128 input
        print_log(
            f'fast inference: the probe pass on a 1x3x{PROBE_SIZE}x'
            f'{PROBE_SIZE} input failed ({type(err).__name__}: {err}); BN '
            'left unfolded',
            logger='current',
            level=30)
        return 0
    if not pairs:
        return 0
    with torch.no_grad():
        before = forward(x, metas)
    parents = _parents(segmentor)
    undo = []
    for conv, bn in pairs:
        undo.append((conv, conv.weight, conv.bias, bn))
        _fold(conv, bn)
        parent, name = parents[bn]
        setattr(parent, name, nn.Identity())
    with torch.no_grad():
        after = forward(x, metas)
    tol = FOLD_RTOL * before.abs().max().item() + 1e-5
    if (after - before).abs().max().item() <= tol:
        return len(pairs)
    for conv, weight, bias, bn in undo:
        conv.weight, conv.bias = weight, bias
        parent, name = parents[bn]
        setattr(parent, name, bn)
    print_log(
        'fast inference: folding BN into the convolutions changed the '
        'output on a probe image; BN left unfolded',
        logger='current',
        level=30)
    return 0


def _fast_encode_decode(self, inputs, batch_img_metas):
    fast = self._segplug_fast
    if getattr(self, 'channels_last', False):
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    with torch.autocast(
            device_type=inputs.device.type,
            dtype=torch.bfloat16,
            enabled=fast['bf16']):
        logits = fast['encode_decode'](inputs, batch_img_metas)
    return logits.float()


def make_fast(model: nn.Module, options: Optional[FastOptions] = None) -> str:
    """Put ``model`` (a segmentor, or a TTA/DDP wrapper of one, in eval
    mode, weights loaded) on the fast inference path, in place, with
    ``options`` (the defaults if None). A channels-last segmentor gets
    channels-last inputs.

    Returns:
        str: what was applied, one line.
    """
    options = options or FastOptions()
    segmentor = _segmentor(model)
    if segmentor.training:
        raise ConfigError('fast inference folds BN statistics: the model '
                          'must be in eval mode')
    device = next(segmentor.parameters()).device
    folded = fold_batch_norms(segmentor) if options.fold_bn else 0
    if options.bf16 == 'auto':
        use_bf16, why_not = bf16_pays(device)
        if not use_bf16:
            print_log(
                f'fast inference: {why_not}; the network runs in fp32',
                logger='current',
                level=30)
    else:
        use_bf16 = options.bf16
    channels_last = getattr(segmentor, 'channels_last', False)
    if channels_last:  # the folded convolutions' new weights too
        segmentor.to(memory_format=torch.channels_last)
    if getattr(segmentor, '_segplug_fast', None) is None:
        original = segmentor.encode_decode
    else:
        original = segmentor._segplug_fast['encode_decode']
    segmentor._segplug_fast = dict(encode_decode=original, bf16=use_bf16)
    segmentor.encode_decode = types.MethodType(_fast_encode_decode, segmentor)
    return (f'fast inference: {folded} BN folded, '
            f'{"bf16" if use_bf16 else "fp32"}, '
            f'{"channels-last" if channels_last else "contiguous"}')


def fast_applied(model: nn.Module) -> Optional[dict]:
    """The fast path's settings on ``model``, None when not applied."""
    try:
        return getattr(_segmentor(model), '_segplug_fast', None)
    except ConfigError:
        return None
