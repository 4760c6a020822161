"""Where the packaged configs and tools are, and config names to paths.

An installed wheel holds them in ``segplug/.mim/`` (copies made when the
wheel is built, as mmseg's ``add_mim_extension`` does); in the git
checkout, and so in an editable install, ``segplug/.mim/`` holds symlinks
to the top-level ``configs/``, ``tools/`` and ``model-index.yml``.
"""
import difflib
import os
import os.path as osp
from typing import List

PREFIX = 'segplug::'


class ConfigNotFoundError(FileNotFoundError):
    """A config path or name that is neither a file nor a packaged
    config."""


def mim_root() -> str:
    """``segplug/.mim``: configs/, tools/ and model-index.yml."""
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


def config_root() -> str:
    return osp.join(mim_root(), 'configs')


def packaged_config_names() -> List[str]:
    """Every packaged config, relative to :func:`config_root` (e.g.
    'deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'),
    sorted."""
    root = config_root()
    names = []
    for folder, _, files in os.walk(root, followlinks=True):
        names += [
            osp.relpath(osp.join(folder, f), root) for f in files
            if f.endswith('.py')
        ]
    return sorted(names)


def resolve_config(name: str) -> str:
    """The file a config argument names: an existing path as it is, else
    a packaged config by ``segplug::family/file.py``, ``family/file.py``
    (``configs/family/file.py`` too, as in the checkout) or its bare file
    name (with or without ``.py``).

    Raises:
        ConfigNotFoundError: naming the closest existing configs.
    """
    if osp.isfile(name):
        return name
    wanted = name[len(PREFIX):] if name.startswith(PREFIX) else name
    if not wanted.endswith('.py'):
        wanted += '.py'
    root = config_root()
    # a checkout's path ('configs/family/file.py') typed in another folder
    for candidate in (wanted, wanted[len('configs/'):]
                      if wanted.startswith('configs/') else None):
        if candidate and osp.isfile(osp.join(root, candidate)):
            return osp.join(root, candidate)
    if '/' not in wanted:
        same_file = [
            n for n in packaged_config_names() if osp.basename(n) == wanted
        ]
        if len(same_file) == 1:
            return osp.join(root, same_file[0])
    close = _closest(name, wanted)
    hint = (f'; closest: {", ".join(close)}' if close else '' if osp.dirname(
        name) else '; `segplug configs` lists the packaged ones')
    raise ConfigNotFoundError(f'config not found: {name}{hint}')


def _closest(name: str, wanted: str) -> List[str]:
    """Existing configs whose names are close to a missing one: files of
    its folder where that exists, else packaged configs."""
    folder = osp.dirname(name)
    if folder and osp.isdir(folder):
        files = [
            osp.join(folder, f) for f in os.listdir(folder)
            if f.endswith('.py')
        ]
        return difflib.get_close_matches(name, files, n=3, cutoff=0.5)
    if osp.isabs(name):
        return []
    known = packaged_config_names()
    if '/' in wanted:
        return difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    by_file = {osp.basename(n): n for n in known}
    return [
        by_file[f] for f in difflib.get_close_matches(
            wanted, list(by_file), n=3, cutoff=0.5)
    ]
