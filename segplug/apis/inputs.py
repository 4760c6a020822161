"""What the inference tool reads: image files, folders (recursively),
globs and videos, each with the name its results are saved under."""
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Sequence

from ..engine.errors import ConfigError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')


@dataclass
class Input:
    """One file to predict.

    Attributes:
        path (str): The file.
        name (str): Where its results go, relative to the output folder's
            sub-folders, without extension (``a/b`` for ``DIR/a/b.jpg``).
        is_video (bool): A video file, predicted frame by frame.
    """
    path: str
    name: str
    is_video: bool = False


def _kind(path: str):
    ext = osp.splitext(path)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return 'image'
    return 'video' if ext in VIDEO_EXTENSIONS else None


def _in_folder(folder: str, pattern: str = None) -> List[tuple]:
    """(path, name relative to ``folder``) of the images and videos under
    ``folder``, or of those matching ``pattern``, sorted."""
    if pattern is None:
        paths = (osp.join(root, f) for root, _, files in os.walk(folder)
                 for f in files)
    else:
        paths = glob.glob(pattern, recursive=True)
    found = [p for p in paths if osp.isfile(p) and _kind(p)]
    return sorted((p, osp.splitext(osp.relpath(p, folder))[0]) for p in found)


def _glob_base(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard."""
    parts = []
    for part in pattern.split(os.sep):
        if glob.has_magic(part):
            break
        parts.append(part)
    return os.sep.join(parts) or '.'


def collect_inputs(sources: Sequence[str]) -> List[Input]:
    """The files that ``sources`` (files, folders, globs) name.

    Names keep a folder's (or a glob's) sub-folders; where two inputs
    would still share a name (``x.jpg`` and ``x.png``), their extensions
    stay in it, then a counter.

    Raises:
        ConfigError: a source that is no file, folder or matching glob, or
            no images or videos found at all.
    """
    found = []
    for source in sources:
        if osp.isdir(source):
            found += _in_folder(source)
        elif osp.isfile(source):
            if not _kind(source):
                raise ConfigError(f'input {source}: expected an image '
                                  f'({" ".join(IMAGE_EXTENSIONS)}) or a video '
                                  f'({" ".join(VIDEO_EXTENSIONS)})')
            found.append((source, osp.splitext(osp.basename(source))[0]))
        elif glob.has_magic(source):
            found += _in_folder(_glob_base(source), source)
        else:
            raise ConfigError(f'input not found: {source}')
    if not found:
        raise ConfigError('no images or videos found in '
                          f'{" ".join(sources)}; expected files ending in '
                          f'{" ".join(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)}')
    seen_paths, distinct = set(), []
    for path, name in found:  # a file named twice is predicted once
        if osp.abspath(path) not in seen_paths:
            seen_paths.add(osp.abspath(path))
            distinct.append((path, name))
    return [
        Input(path, name,
              _kind(path) == 'video')
        for (path, _), name in zip(distinct, _unique(distinct))
    ]


def _unique(found: List[tuple]) -> List[str]:
    seen: Dict[str, int] = {}
    for _, name in found:
        seen[name] = seen.get(name, 0) + 1
    names, taken = [], set()
    for path, name in found:
        if seen[name] > 1:
            name = name + osp.splitext(path)[1]
        base, k = name, 1
        while name in taken:
            name, k = f'{base}_{k}', k + 1
        taken.add(name)
        names.append(name)
    return names
