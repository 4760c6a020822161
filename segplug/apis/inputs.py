"""What the inference tool reads: image files, folders (recursively),
globs and videos, each with the name its results are saved under."""
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from ..engine.errors import ConfigError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv')
# images a folder may hold that OpenCV does not read: counted, not read
OTHER_IMAGES = ('.heic', '.heif', '.avif', '.gif', '.jp2', '.jxl', '.svg',
                '.psd', '.dng', '.cr2', '.nef', '.arw')


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


def _under(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


class Inputs(list):
    """The inputs found; how many files under the output folder were left
    out, and the images in formats that are not read, by extension."""
    left_out: int = 0
    unread: Dict[str, int] = {}


def _unread_images(sources: Sequence[str]) -> Dict[str, int]:
    """{extension: count} of the files of :data:`OTHER_IMAGES` in the
    folders among ``sources``."""
    counts: Dict[str, int] = {}
    for source in sources:
        if not osp.isdir(source):
            continue
        for _, _, files in os.walk(source):
            for f in files:
                ext = osp.splitext(f)[1].lower()
                if ext in OTHER_IMAGES:
                    counts[ext] = counts.get(ext, 0) + 1
    return counts


def collect_inputs(sources: Sequence[str],
                   output: Optional[str] = None) -> Inputs:
    """The files that ``sources`` (files, folders, globs) name.

    Names keep a folder's (or a glob's) sub-folders; where two inputs
    would still share a name (``x.jpg`` and ``x.png``), their extensions
    stay in it, then a counter. Files under the ``output`` folder that a
    folder or glob finds are left out (a second run would read the first
    one's overlays as new images) and counted in the list's ``left_out``.

    Raises:
        ConfigError: a source that is no file, folder or matching glob, or
            no images or videos found at all.
    """
    found = []
    left_out = 0
    for source in sources:
        if osp.isdir(source) or (glob.has_magic(source)
                                 and not osp.isfile(source)):
            inside = (
                _in_folder(source) if osp.isdir(source) else _in_folder(
                    _glob_base(source), source))
            kept = [(p, n) for p, n in inside
                    if output is None or not _under(p, output)]
            left_out += len(inside) - len(kept)
            found += kept
        elif osp.isfile(source):
            if not _kind(source):
                raise ConfigError(f'input {source}: expected an image '
                                  f'({" ".join(IMAGE_EXTENSIONS)}) or a video '
                                  f'({" ".join(VIDEO_EXTENSIONS)})')
            found.append((source, osp.splitext(osp.basename(source))[0]))
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
    inputs = Inputs(
        Input(path, name,
              _kind(path) == 'video')
        for (path, _), name in zip(distinct, _unique(distinct)))
    inputs.left_out = left_out
    inputs.unread = _unread_images(sources)
    return inputs


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
