"""The data check once per run, not once per process.

In a distributed run rank 0 decodes and checks the data; the other ranks
wait for its verdict and take it as theirs: the same one-line error, or
the same samples left out (``data_check='warn'``). They wait on a gloo
group of their own whose timeout allows for a cold read of a large data
set, so a slow check does not trip the run's NCCL timeout.
"""
from datetime import timedelta
from typing import Iterable, Optional, Tuple

import torch.distributed as dist

from .check import check_data
from ...errors import USER_ERRORS
from .samples import DataCheckSummary

VERDICT_TIMEOUT = timedelta(hours=6)


def check_data_once(cfg, loaders: Iterable[str]) -> Optional[DataCheckSummary]:
    """:func:`.data_check.check_data` on rank 0, its verdict on every rank
    (the same as ``check_data`` where no process group is running)."""
    loaders = list(loaders)
    rank, world_size = _rank_and_size()
    if world_size == 1:
        return check_data(cfg, loaders)
    group = dist.new_group(backend='gloo', timeout=VERDICT_TIMEOUT)
    box, crash = [None], None
    if rank == 0:
        try:
            box[0] = _verdict(cfg, loaders)
        except BaseException as err:  # told to the others, then raised
            crash = err
            box[0] = ('crash', f'{type(err).__name__}: {err}', {})
    try:
        dist.broadcast_object_list(box, src=0, group=group)
    finally:
        dist.destroy_process_group(group)
    if crash is not None:
        raise crash
    kind, value, datasets = box[0]
    if kind == 'error':
        raise value
    if kind == 'crash':
        raise RuntimeError(f'rank 0 stopped in the data check: {value}')
    if rank != 0:
        for loader, dataset in datasets.items():
            cfg[loader]['dataset'] = dataset
    return value


def _rank_and_size() -> Tuple[int, int]:
    """(this process's rank, the number of processes); (0, 1) without a
    process group."""
    if not dist.is_initialized():
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def _verdict(cfg, loaders):
    """('ok', summary, each loader's dataset config after the check) or
    ('error', the error the user can act on, {})."""
    try:
        summary = check_data(cfg, loaders)
    except USER_ERRORS as err:
        return 'error', err, {}
    datasets = {
        loader: cfg[loader]['dataset'].to_dict()
        for loader in loaders if cfg.get(loader)
    }
    return 'ok', summary, datasets
