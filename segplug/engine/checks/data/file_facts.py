"""The facts of many files (:mod:`.file_check`), decoded in parallel and
cached per dataset folder, so a second check of the same data reads only
the files that changed.

The cache is one JSON file per dataset folder under
``$SEGPLUG_CACHE_DIR/data_check`` (default ``~/.cache/segplug``); an entry,
keyed by kind and absolute path, holds while the file's size and mtime_ns
are those recorded. It is written whole, through a temporary file and
``os.replace``, so a killed run leaves the old cache or the new one.
"""
import hashlib
import json
import multiprocessing
import os
import os.path as osp
import tempfile
import warnings
from typing import Dict, Iterable, List, Optional, Tuple

from ....utils.progress import progress
from .file_inspection import inspect_file

_VERSION = 2  # 2: labels' pixel counts, images' EXIF orientation
# below this many files to decode, starting worker processes costs more
# than it saves
_MIN_PARALLEL = 200
_MAX_WORKERS = 8

Key = Tuple[str, str]


def cache_dir() -> str:
    """``$SEGPLUG_CACHE_DIR``, else ``~/.cache/segplug``."""
    return (os.environ.get('SEGPLUG_CACHE_DIR')
            or osp.join(osp.expanduser('~'), '.cache', 'segplug'))


class FactsCache:
    """The cached facts of the files under one dataset folder.

    Args:
        folder (str): The dataset's folder (its data_root); it names the
            cache file.
    """

    def __init__(self, folder: str):
        folder = osp.abspath(folder)
        name = hashlib.sha1(folder.encode()).hexdigest()[:16]
        self.path = osp.join(cache_dir(), 'data_check', name + '.json')
        self.folder = folder
        self.entries: Dict[str, list] = self._load()

    def _load(self) -> Dict[str, list]:
        try:
            with open(self.path) as f:
                cached = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(cached, dict) or cached.get('version') != _VERSION:
            return {}
        return cached.get('files', {})

    def get(self, key: Key, stat: os.stat_result) -> Optional[dict]:
        entry = self.entries.get(_entry_name(key))
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return entry[2]
        return None

    def put(self, key: Key, stat: os.stat_result, facts: dict) -> None:
        self.entries[_entry_name(key)] = [
            stat.st_size, stat.st_mtime_ns, facts
        ]

    def save(self) -> None:
        cached = dict(version=_VERSION, folder=self.folder, files=self.entries)
        try:
            os.makedirs(osp.dirname(self.path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=osp.dirname(self.path), suffix='.tmp')
            with os.fdopen(fd, 'w') as f:
                json.dump(cached, f, separators=(',', ':'))
            os.replace(tmp, self.path)
        except OSError as err:
            # the check itself is done: only the next one will be slower
            warnings.warn(
                f'data check: cannot write its cache {self.path}: '
                f'{err}; set SEGPLUG_CACHE_DIR to a writable '
                'folder',
                stacklevel=2)


def _entry_name(key: Key) -> str:
    kind, path = key
    return f'{kind}:{osp.abspath(path)}'


def _workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, _MAX_WORKERS)


def _inspect_all(keys: List[Key]) -> Iterable[dict]:
    """The facts of ``keys``, in order: in worker processes when there are
    many, with a progress bar on a terminal."""
    workers = _workers()
    # a data loader worker (daemonic) may not start processes
    if (len(keys) < _MIN_PARALLEL or workers < 2
            or multiprocessing.current_process().daemon):
        yield from map(inspect_file, keys)
        return
    # fork: the workers need none of the parent's state re-imported
    with multiprocessing.get_context('fork').Pool(workers) as pool:
        yield from progress(
            pool.imap(inspect_file, keys, chunksize=32),
            total=len(keys),
            desc=f'data check: decoding {len(keys)} files')


def file_facts(keys: Iterable[Key],
               folder: str) -> Tuple[Dict[Key, dict], int]:
    """The facts of each ``(kind, path)`` in ``keys`` (kind 'image' or
    'label'), from the cache of ``folder`` where the file is unchanged.

    Returns:
        tuple: ``{(kind, path): facts}`` and how many files were decoded.
    """
    cache = FactsCache(folder)
    facts: Dict[Key, dict] = {}
    todo: List[Tuple[Key, os.stat_result]] = []
    for key in dict.fromkeys(keys):
        try:
            stat = os.stat(key[1])
        except OSError:
            facts[key] = _missing(key[1])
            continue
        hit = cache.get(key, stat)
        if hit is None:
            todo.append((key, stat))
        else:
            facts[key] = hit
    for (key, stat), found in zip(todo, _inspect_all([k for k, _ in todo])):
        facts[key] = found
        if found.get('error') != 'missing':
            cache.put(key, stat, found)
    if todo:
        cache.save()
    return facts, len(todo)


def _missing(path: str) -> dict:
    """The facts of a file that is not there: a link says where it
    points."""
    if osp.islink(path):
        return dict(
            error='missing',
            detail=f'a symbolic link to {os.readlink(path)}, which does not '
            'exist')
    return dict(error='missing')
