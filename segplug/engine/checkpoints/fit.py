"""How well a checkpoint's weights fit a model, measured before they load.

mmengine loads whatever matches, prints one line per mismatched key and
goes on: a checkpoint of another architecture then "loads" and the model
predicts garbage. These functions measure the fit so that the runner can
refuse a bad one in one line.
"""
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Mapping, Sequence, Tuple

import torch
from torch import nn

from ..errors import CheckpointError

# (regex, replacement) pairs applied to checkpoint keys, as mmengine's
KeyRevisions = Sequence[Tuple[str, str]]


@dataclass
class Fit:
    """The model's tensors a state dict does not fill, and the share (by
    element count) that it does."""
    missing: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    bad: List[str] = field(default_factory=list)  # in the model's order
    total: int = 0
    loaded_share: float = 1.0


def weights_of(checkpoint, filename: str,
               revise_keys: KeyRevisions = ()) -> OrderedDict:
    """The tensors of ``checkpoint`` (its ``state_dict``, or itself), keys
    revised by the ``(pattern, replacement)`` pairs as mmengine does.

    Raises:
        CheckpointError: it holds no tensors, or weights that are NaN or
            inf.
    """
    state = checkpoint
    if isinstance(checkpoint, Mapping) and 'state_dict' in checkpoint:
        state = checkpoint['state_dict']
    tensors = OrderedDict()
    if isinstance(state, Mapping):
        tensors = OrderedDict(
            (k, v) for k, v in state.items() if isinstance(v, torch.Tensor))
    if not tensors:
        keys = (', '.join(map(str,
                              list(checkpoint)[:5])) if
                isinstance(checkpoint, Mapping) else type(checkpoint).__name__)
        raise CheckpointError(
            f'checkpoint {filename} holds no weights (no state_dict of '
            f'tensors; it has: {keys or "nothing"}); pass a checkpoint '
            'saved by training or a state dict')
    nonfinite = [
        k for k, v in tensors.items()
        if v.is_floating_point() and not bool(torch.isfinite(v).all())
    ]
    if nonfinite:
        shown = ', '.join(nonfinite[:3]) + (f' and {len(nonfinite) - 3} more'
                                            if len(nonfinite) > 3 else '')
        raise CheckpointError(
            f'checkpoint {filename} has weights that are NaN or inf '
            f'({shown}): a model with them predicts nothing meaningful; use '
            'an earlier checkpoint of the run')
    for pattern, replacement in revise_keys:
        tensors = OrderedDict(
            (re.sub(pattern, replacement, k), v) for k, v in tensors.items())
    tensors._metadata = getattr(state, '_metadata', OrderedDict())
    return tensors


def measure_fit(model: nn.Module, weights: Mapping) -> Fit:
    """Compare ``weights`` with ``model.state_dict()`` (BN batch counters,
    which mmengine ignores too, left out)."""
    fit = Fit()
    loaded = total = 0
    for key, tensor in model.state_dict().items():
        if key.endswith('num_batches_tracked'):
            continue
        total += tensor.numel()
        fit.total += 1
        if key not in weights:
            fit.missing.append(key)
        elif weights[key].shape != tensor.shape:
            fit.mismatched.append(
                (key, tuple(weights[key].shape), tuple(tensor.shape)))
        else:
            loaded += tensor.numel()
            continue
        fit.bad.append(key)
    model_keys = model.state_dict().keys()
    fit.unexpected = [k for k in weights if k not in model_keys]
    fit.loaded_share = loaded / total if total else 1.0
    return fit


def fitting_part(weights: Mapping, fit: Fit) -> OrderedDict:
    """The entries of ``weights`` that load into the model as they are."""
    skip = set(fit.unexpected) | {k for k, _, _ in fit.mismatched}
    part = OrderedDict((k, v) for k, v in weights.items() if k not in skip)
    part._metadata = getattr(weights, '_metadata', OrderedDict())
    return part


def describe_fit(fit: Fit, keys: Sequence[str], limit: int = 5) -> str:
    """'<n> of <total> model tensors do not load (<share> of the
    parameters load): <the first ``limit`` of ``keys``, with shapes>',
    and the first of the checkpoint's tensors that the model lacks."""
    shapes = {k: (c, m) for k, c, m in fit.mismatched}
    # a shape mismatch says more about what the checkpoint is
    keys = sorted(keys, key=lambda k: k not in shapes)
    named = []
    for key in keys[:limit]:
        if key in shapes:
            ckpt, model = shapes[key]
            named.append(f'{key} (checkpoint {list(ckpt)}, model '
                         f'{list(model)})')
        else:
            named.append(f'{key} (not in the checkpoint)')
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    share = math.floor(fit.loaded_share * 1000) / 10  # 99.97 is not 100
    text = (f'{len(keys)} of {fit.total} model tensors do not load '
            f'({share:.1f}% of the parameters load): '
            f'{", ".join(named)}{more}')
    if fit.unexpected:
        text += (f'; the checkpoint has {len(fit.unexpected)} tensors the '
                 f'model lacks, e.g. {", ".join(fit.unexpected[:3])}')
    return text
