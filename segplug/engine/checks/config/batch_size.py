"""Find the host's parts that cannot train at batch size 1, before the run.

Some mmseg parts pool a feature map to 1x1 and batch-normalise it: at one
image per process that is one value per channel, which torch's BN refuses
in training ('Expected more than 1 value per channel when training'), so the
run fails at its first iteration. segplug's own ASPP and PyramidPooling
necks train at batch 1 (``PooledConvModule``); the parts below, found by
training each of mmseg's base models at batch 1, do not.
"""
import inspect
import os
from typing import Iterator, List, Optional, Tuple

import torch

from ...config_types import type_name
from ...errors import ConfigError

# type -> (what normalises one value per channel, the key of pool scales
# where only scale 1 does it (None: always), segplug's part that trains)
_PARTS = {
    'ASPPHead': ('its image pooling', None, "segplug's ASPP neck"),
    'DepthwiseSeparableASPPHead':
    ('its image pooling', None, "segplug's ASPP neck (separable=True)"),
    'PSPHead':
    ('its pool scale 1', 'pool_scales', "segplug's PyramidPooling neck"),
    'UPerHead': ("its pyramid pooling's scale 1", 'pool_scales', None),
    'APCHead': ('its pool scale 1', 'pool_scales', None),
    'ICNet': ("its pyramid pooling's scale 1", 'pool_scales', None),
    'FastSCNN': ("its global feature extractor's pooling", None, None),
    'BiSeNetV1': ("its context path's global pooling", None, None),
    'BiSeNetV2': ("its context embedding's global pooling", None, None),
    'STDCContextPathNet': ("its context path's global pooling", None, None),
}
_BATCH_NORMS = ('BN', 'BN2d', 'SyncBN', 'MMSyncBN')
_SYNC_NORMS = ('SyncBN', 'MMSyncBN')


def _parts(node, path: str) -> Iterator[Tuple[str, dict]]:
    """(path, config) of every part of ``_PARTS`` under ``node``."""
    if isinstance(node, dict):
        if type_name(node) in _PARTS:
            yield path, node
        for key, value in node.items():
            yield from _parts(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _parts(value, f'{path}.{i}')


def _default(name: str, arg: str):
    """The default of ``arg`` of mmseg's part ``name`` (None if none)."""
    from mmseg.registry import MODELS
    cls = MODELS.get(name)
    for klass in inspect.getmro(cls) if cls else ():
        param = inspect.signature(klass.__init__).parameters.get(arg)
        if param is not None and param.default is not param.empty:
            return param.default
    return None


def _processes(cfg) -> int:
    if cfg.get('launcher', 'none') == 'none':
        return 1
    return int(
        os.environ.get('WORLD_SIZE') or os.environ.get('SLURM_NTASKS') or 1)


def _batch_norm(part: dict, name: str, cfg) -> Optional[str]:
    """The type of the part's norm if it runs as BN, else None: SyncBN with
    a GPU per process syncs over the processes, which is enough."""
    norm = part['norm_cfg'] if 'norm_cfg' in part else _default(
        name, 'norm_cfg')
    kind = norm.get('type') if isinstance(norm, dict) else None
    if kind not in _BATCH_NORMS:
        return None
    synced = torch.cuda.is_available() and _processes(cfg) > 1
    return None if kind in _SYNC_NORMS and synced else kind


def _problem(path: str, part: dict, cfg) -> Optional[str]:
    name = type_name(part)
    what, scales_key, alternative = _PARTS[name]
    if scales_key is not None and 1 not in tuple(
            part.get(scales_key, _default(name, scales_key)) or ()):
        return None
    norm = _batch_norm(part, name, cfg)
    if norm is None:
        return None
    fixes = [
        'train_dataloader.batch_size >= 2',
        f"{path}.norm_cfg=dict(type='GN', num_groups=16, "
        "requires_grad=True)"
    ]
    if scales_key is not None:
        fixes.append(f'{path}.{scales_key} without 1')
    if alternative is not None:
        fixes.append(f'{alternative} in its place')
    return (f'{path} ({name}): {what} normalises one value per channel with '
            f'{norm} at train_dataloader.batch_size=1 per process, which '
            "torch refuses in training ('Expected more than 1 value per "
            f"channel'); set {', '.join(fixes[:-1])} or {fixes[-1]}")


def check_batch_size(cfg) -> None:
    """Raise :class:`ConfigError` naming every part of ``cfg.model`` that
    cannot train at the config's batch size (one image per process).

    Args:
        cfg (Config): The merged config; without a ``train_dataloader`` or
            with a batch size other than 1 nothing is checked.
    """
    loader = cfg.get('train_dataloader') or {}
    if loader.get('batch_size') != 1:
        return
    problems: List[str] = [
        p for p in (_problem(path, part, cfg)
                    for path, part in _parts(cfg.get('model'), 'model'))
        if p is not None
    ]
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f'{len(problems)} parts cannot train at batch size '
                          '1: ' +
                          '; '.join(f'({i}) {problem}'
                                    for i, problem in enumerate(problems, 1)))
