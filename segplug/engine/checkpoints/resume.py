"""Pick the checkpoint ``--resume`` resumes from before the Runner starts.

mmengine resumes from whatever ``<work_dir>/last_checkpoint`` names: an
absolute path that is wrong once the work dir is moved, and a file that a
kill may have torn. Here the candidates are that file, found in the work
dir it is in, and every numbered checkpoint there, newest first; the
newest intact one is used, and each one passed over is named with why.
"""
import logging
import os
import os.path as osp
import re
from typing import List, Optional

from mmengine.logging import print_log

from ..errors import CheckpointError
from .loading import checkpoint_problem

_NUMBERED = re.compile(r'(?:iter|epoch)_(\d+)\.pth$')
_TEMP = re.compile(r'\..+\.tmp-(\d+)$')


def _say(text: str, level: int = logging.INFO) -> None:
    print_log(text, logger='current', level=level)


def recorded_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``<work_dir>/last_checkpoint`` names, found in this
    work dir when the recorded path is gone or outside it (a moved or
    copied work dir); None without a record."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as f:
        recorded = f.read().strip()
    if not recorded:
        return None
    own = osp.join(work_dir, osp.basename(recorded))
    inside = osp.abspath(recorded).startswith(
        osp.join(osp.abspath(work_dir), ''))
    if inside and osp.isfile(recorded):
        return recorded
    if osp.isfile(own) or not osp.isfile(recorded):
        return own
    return recorded  # kept outside the work dir (the hook's out_dir)


def resume_candidates(work_dir: str) -> List[str]:
    """The recorded checkpoint and the work dir's ``iter_*.pth`` and
    ``epoch_*.pth``, the highest number first (the recorded one first when
    it is not numbered)."""
    recorded = recorded_checkpoint(work_dir)
    folders = {osp.abspath(work_dir)}
    if recorded is not None:
        folders.add(osp.dirname(osp.abspath(recorded)))
    numbered = {}
    for folder in folders:
        for name in os.listdir(folder):
            match = _NUMBERED.fullmatch(name)
            if match:
                numbered[osp.join(folder, name)] = int(match.group(1))
    order = sorted(numbered, key=numbered.get, reverse=True)
    if recorded is not None and osp.abspath(recorded) not in numbered:
        order.insert(0, recorded)
    return order


def remove_stale_temp_files(folder: str) -> None:
    """Delete the temporary files of saves whose process was killed."""
    for name in sorted(os.listdir(folder)):
        match = _TEMP.fullmatch(name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            os.remove(osp.join(folder, name))
        except FileNotFoundError:  # another rank removed it first
            continue
        _say(f'removed {osp.join(folder, name)}, left by a save that was '
             'killed')


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def resolve_resume(cfg) -> None:
    """For ``cfg.resume``: check the checkpoint ``cfg.load_from`` names, or
    without one set it to the newest intact checkpoint of ``cfg.work_dir``
    (none at all: train from scratch).

    Raises:
        CheckpointError: the named checkpoint is torn or missing, or no
            checkpoint in the work dir is intact.
    """
    if not cfg.get('resume'):
        return
    if cfg.get('load_from'):
        _check_named(cfg.load_from)
        return
    work_dir = cfg.work_dir
    if not osp.isdir(work_dir):
        candidates = []
    else:
        remove_stale_temp_files(work_dir)
        candidates = resume_candidates(work_dir)
    if not candidates:
        _say(f'--resume: no checkpoint in {work_dir}; training from scratch')
        cfg.resume = False
        return
    tried = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            _say(f'--resume: resuming from {path}')
            cfg.load_from = path
            return
        tried.append(f'{path} is {problem}')
        _say(f'--resume: skipping {path}: it is {problem}', logging.WARNING)
    raise CheckpointError(
        f'--resume: no intact checkpoint in {work_dir}: ' + '; '.join(tried) +
        '; delete them to train from scratch, or pass --resume PATH')


def _check_named(path: str) -> None:
    if '://' in path:  # a remote file is checked when it is fetched
        return
    problem = checkpoint_problem(path)
    if problem is not None:
        raise CheckpointError(
            f'--resume {path}: the checkpoint is {problem}; pass an intact '
            'one, or --resume alone to pick the newest intact one')
