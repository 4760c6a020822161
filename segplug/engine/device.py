"""Adapt a config to the machine it runs on.

A config written for GPUs (SyncBN, NCCL, one device per process) must also
run with the same launchers on a machine without one: there SyncBN becomes
BN, processes talk over gloo, and DDP wraps a CPU model.
"""
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config

_SYNC_NORMS = ('SyncBN', 'MMSyncBN')


def sync_bn_to_bn(cfg) -> int:
    """Replace every SyncBN norm config under ``cfg`` by BN, in place.

    Returns the number of replacements.
    """
    count = 0
    if isinstance(cfg, dict):
        if cfg.get('type') in _SYNC_NORMS:
            cfg['type'] = 'BN'
            count += 1
        for value in cfg.values():
            count += sync_bn_to_bn(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += sync_bn_to_bn(value)
    return count


def _slurm_env() -> None:
    """Set torch's rendezvous variables from slurm's, as mmengine does."""
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def init_cpu_dist(launcher: str) -> None:
    """Start a gloo process group for ``launcher`` ('pytorch' or 'slurm').

    mmengine's own initialisation pins a CUDA device first, which a CPU-only
    torch cannot do; the Runner skips it once a group exists.
    """
    if dist.is_initialized():
        return
    if launcher == 'slurm':
        _slurm_env()
    elif launcher != 'pytorch':
        raise ValueError("launcher without a GPU: expected 'none', 'pytorch' "
                         f"or 'slurm', got {launcher!r}")
    dist.init_process_group(backend='gloo')


def adapt_to_device(cfg: Config) -> None:
    """Make ``cfg`` (with ``cfg.launcher`` set) runnable on this machine.

    With a GPU nothing changes. Without one, a distributed run uses gloo, BN
    instead of SyncBN and a DDP wrapper with no device ids, and its process
    group is started here.
    """
    launcher = cfg.get('launcher', 'none')
    if torch.cuda.is_available() or launcher == 'none':
        return
    sync_bn_to_bn(cfg.model)
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    init_cpu_dist(launcher)


class DeviceError(RuntimeError):
    """A run asks for something this machine's devices cannot do."""


def enable_amp(cfg: Config) -> None:
    """Switch ``cfg``'s optimizer wrapper to mixed precision (``--amp``)."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_npu_available)
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()):
        raise DeviceError('--amp needs a CUDA, NPU or MLU device (mmengine '
                          "has no CPU mixed precision); none found")
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper':
        return
    if wrapper != 'OptimWrapper':
        raise DeviceError('--amp: expected optim_wrapper type OptimWrapper, '
                          f'got {wrapper}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'
