import pytest
import torch
from mmengine.config import Config

from segplug.engine import (DeviceError, adapt_to_device, enable_amp,
                            sync_bn_to_bn)


def test_sync_bn_to_bn_reaches_every_level():
    cfg = Config(
        dict(
            model=dict(
                backbone=dict(
                    norm_cfg=dict(type='SyncBN', requires_grad=True)),
                heads=[
                    dict(norm_cfg=dict(type='SyncBN')),
                    dict(norm_cfg=dict(type='GN', num_groups=2))
                ])))
    assert sync_bn_to_bn(cfg.model) == 2
    assert cfg.model.backbone.norm_cfg == dict(type='BN', requires_grad=True)
    assert cfg.model.heads[0].norm_cfg.type == 'BN'
    assert cfg.model.heads[1].norm_cfg.type == 'GN'


def test_voc_config_converts_every_sync_bn(repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    assert sync_bn_to_bn(cfg.model) >= 4
    assert 'SyncBN' not in str(cfg.model)


def test_non_distributed_run_is_left_alone(repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_voc.py')
    cfg.launcher = 'none'
    before = cfg.pretty_text
    adapt_to_device(cfg)
    assert cfg.pretty_text == before


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the CPU-only behaviour')
def test_amp_without_gpu_or_bf16_is_a_clear_error(monkeypatch):
    import segplug.engine.inference.fast_path as fast
    monkeypatch.setattr(fast, 'native_bf16', lambda device: False)
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    with pytest.raises(
            DeviceError,
            match='--amp: no CUDA device, and this '
            'CPU has no native bf16'):
        enable_amp(cfg)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the CPU-only behaviour')
def test_amp_on_a_bf16_cpu_trains_in_bf16(monkeypatch):
    import segplug.engine.inference.fast_path as fast
    monkeypatch.setattr(fast, 'native_bf16', lambda device: True)
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'BF16OptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
