"""Where a run writes: its work dir must be a folder this process can
write, with room for a checkpoint of the model it trains.

Without these checks a work dir that is a file, or read-only, fails when
the first log line or checkpoint is written, and a full disk when the
first checkpoint is saved: after the training time of an interval.
"""
import os
import os.path as osp
import shutil
import tempfile

from torch import nn

from ..errors import ConfigError, TrainingError

MIB = 1 << 20


def check_work_dir(cfg) -> None:
    """``cfg.work_dir`` is, or can be made, a folder this process can
    write.

    Raises:
        ConfigError: naming the work dir and why it cannot be written.
    """
    work_dir = cfg.get('work_dir')
    if not work_dir or '://' in work_dir:
        return
    hint = 'give another with --work-dir'
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise ConfigError(f'work_dir {work_dir} is a file, not a folder; '
                          f'{hint}')
    try:
        os.makedirs(work_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=work_dir):
            pass
    except OSError as err:
        raise ConfigError(f'work_dir {work_dir} cannot be written '
                          f'({err.strerror}); {hint}') from None


def checkpoint_bytes(model: nn.Module, optimizer_type: str) -> int:
    """About how many bytes a checkpoint of ``model`` takes: its state
    dict, and the optimizer's state (two moments per parameter for the
    Adam family, one for the rest)."""
    weights = sum(t.numel() * t.element_size()
                  for t in model.state_dict().values())
    params = sum(p.numel() * p.element_size() for p in model.parameters()
                 if p.requires_grad)
    moments = 2 if 'adam' in optimizer_type.lower() else 1
    return weights + moments * params


def check_room_for_checkpoints(work_dir: str, needed: int) -> None:
    """The work dir's disk has room for one more checkpoint of ``needed``
    bytes (a save writes the new file beside the last one, then renames
    it), with a tenth to spare.

    Raises:
        TrainingError: naming the free and needed space.
    """
    free = shutil.disk_usage(work_dir).free
    if free < needed * 1.1:
        raise TrainingError(
            f'work_dir {work_dir}: {free / MIB:.1f} MiB free on its disk, '
            f'and a checkpoint of this model takes about {needed / MIB:.1f} '
            'MiB; free space, or give another with --work-dir')
