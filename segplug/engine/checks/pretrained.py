"""Check that the local weights a model initialises from are on disk
before a run starts (URLs are fetched, and checked, by the hub loader)."""
import os.path as osp
from typing import Iterator, Tuple

from ..errors import DataNotFoundError


def _pretrained_paths(cfg, where: str) -> Iterator[Tuple[str, str]]:
    if isinstance(cfg, dict):
        if cfg.get('type') == 'Pretrained' and cfg.get('checkpoint'):
            yield where, cfg['checkpoint']
        for key, value in cfg.items():
            yield from _pretrained_paths(value, f'{where}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            yield from _pretrained_paths(value, f'{where}.{i}')


def check_pretrained(cfg) -> None:
    """Raise :class:`DataNotFoundError` for a local ``Pretrained`` init
    checkpoint of ``cfg.model`` that does not exist (URLs are left to the
    download)."""
    for where, path in _pretrained_paths(cfg.get('model', {}), 'model'):
        if '://' in path or osp.exists(path):
            continue
        hint = ("convert torchvision's VGG-16 with `segplug "
                'convert-vgg16` (README: "Parts")'
                if 'vgg16' in osp.basename(path) else
                'download it or set the init_cfg to None')
        raise DataNotFoundError(
            f'{where}.checkpoint not found: {path}; {hint}')
