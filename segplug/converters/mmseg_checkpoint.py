"""Map mmseg's DeepLab v3, v3+ and PSPNet checkpoints onto segplug's
backbone + neck + head layout.

mmseg puts the whole context module in its decode head; segplug splits it
into a neck (``ASPP``, ``PyramidPooling``) and a head. The layers are the
same, so converting is renaming: backbone and auxiliary head keys are
identical on both sides and pass through.

============================  ===========================================
mmseg ``decode_head.``        segplug
============================  ===========================================
ASPPHead (DeepLab v3)
``image_pool.1.``             ``neck.image_pool.1.``
``aspp_modules.{i}.``         ``neck.branches.{i}.``
``bottleneck.``               ``neck.project.``
``conv_seg.``                 ``decode_head.conv_seg.`` (``ClassifierHead``)
DepthwiseSeparableASPPHead    as ASPPHead (separable branches), plus:
``c1_bottleneck.``            ``decode_head.low_level_reduce.``
``sep_bottleneck.{j}.``       ``decode_head.refine.{j}.``
PSPHead
``psp_modules.{i}.1.``        ``neck.stages.{i}.1.``
``bottleneck.``               ``decode_head.convs.0.`` (``FCNHead``)
``conv_seg.``                 ``decode_head.conv_seg.``
============================  ===========================================
"""
from typing import Dict, Tuple

from torch import Tensor

from .mmseg_configs import MMSEG_HEADS

_ASPP = {
    'image_pool': 'neck.image_pool',
    'aspp_modules': 'neck.branches',
    'bottleneck': 'neck.project',
    'conv_seg': 'decode_head.conv_seg',
}
# The first component under ``decode_head.`` of each head's keys -> the
# segplug prefix it becomes. Every component is required.
_RENAMES = {
    'ASPPHead': _ASPP,
    'DepthwiseSeparableASPPHead': {
        **_ASPP,
        'c1_bottleneck': 'decode_head.low_level_reduce',
        'sep_bottleneck': 'decode_head.refine',
    },
    'PSPHead': {
        'psp_modules': 'neck.stages',
        'bottleneck': 'decode_head.convs.0',
        'conv_seg': 'decode_head.conv_seg',
    },
}
# Components that identify a head, most specific first.
_SIGNATURES = (
    ('PSPHead', {'psp_modules'}),
    ('DepthwiseSeparableASPPHead', {'aspp_modules', 'sep_bottleneck'}),
    ('ASPPHead', {'aspp_modules'}),
)


def _state_dict_of(state_dict_or_checkpoint) -> Dict[str, Tensor]:
    if not isinstance(state_dict_or_checkpoint, dict):
        raise ValueError('mmseg checkpoint: expected a state dict or a dict '
                         "with 'state_dict', got "
                         f'{type(state_dict_or_checkpoint).__name__}')
    state_dict = state_dict_or_checkpoint.get('state_dict',
                                              state_dict_or_checkpoint)
    if not isinstance(state_dict, dict) or not state_dict:
        got = ('an empty dict'
               if isinstance(state_dict, dict) else type(state_dict).__name__)
        raise ValueError('mmseg checkpoint: expected a non-empty state dict, '
                         f'got {got}')
    bad = [k for k, v in state_dict.items() if not isinstance(v, Tensor)]
    if bad:
        raise ValueError('mmseg checkpoint: expected a state dict of tensors '
                         "(or a dict with one under 'state_dict'), got "
                         f'non-tensor entries {bad[:5]}')
    return state_dict


def _detect_head(components: set) -> str:
    for head, signature in _SIGNATURES:
        if signature <= components:
            return head
    got = ('decode_head.{' + ','.join(sorted(components)) +
           '}') if components else 'no decode_head keys'
    raise ValueError('mmseg checkpoint: no recognised decode head, expected '
                     f'the keys of {", ".join(MMSEG_HEADS)}, got {got}')


def convert_mmseg_checkpoint(
        state_dict_or_checkpoint: dict) -> Tuple[Dict[str, Tensor], str]:
    """Rename an mmseg ASPPHead, DepthwiseSeparableASPPHead or PSPHead model's
    weights to segplug's layout (see the module's table).

    Args:
        state_dict_or_checkpoint (dict): A state dict, or a checkpoint holding
            one under ``'state_dict'`` (mmseg's model-zoo format).

    Returns:
        tuple[dict[str, Tensor], str]: The converted state dict, loadable
        with ``strict=True`` into the model of
        ``MMSEG_HEADS[head].segplug_config`` with the same widths and
        num_classes, and the detected mmseg head class name ``head``.

    Raises:
        ValueError: Not a state dict, no recognised decode head, decode head
            keys missing or left unmapped, or keys already under ``neck.``.
    """
    state_dict = _state_dict_of(state_dict_or_checkpoint)
    necks = [k for k in state_dict if k.startswith('neck.')]
    if necks:
        raise ValueError('mmseg checkpoint: expected a model without a neck '
                         f'(segplug adds one), got keys {necks[:3]}')
    components = {
        k.split('.')[1]
        for k in state_dict if k.startswith('decode_head.')
    }
    head = _detect_head(components)
    renames = _RENAMES[head]
    leftover = sorted(components - set(renames))
    missing = sorted(set(renames) - components)
    if leftover or missing:
        raise ValueError(f'mmseg {head} checkpoint: expected decode_head keys '
                         f'{sorted(renames)}, got unmapped {leftover} and '
                         f'missing {missing}')
    converted = {}
    for key, value in state_dict.items():
        parts = key.split('.', 2)
        if parts[0] == 'decode_head':
            key = '.'.join([renames[parts[1]]] + parts[2:])
        converted[key] = value
    return converted, head
