"""Batch size 1: segplug's necks train; the host's parts that cannot are
named at start-up."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from segplug.engine import ConfigError, check_batch_size
from tests.utils import read_log, shapes_options

SHAPES = 'configs/deeplabv3plus_shapes.py'
# 2 iterations: the poly schedule must still begin before it ends
TWO_ITERS = ['param_scheduler.1.end=3']
# loaders in this process: workers left by one in-process run cost the next
# one seconds at its garbage collection
NO_WORKERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def _mmseg_config(name: str, batch_size: int = 1) -> Config:
    """One of mmseg's own configs (``mmseg::name``), at ``batch_size``."""
    return Config.fromstring(
        f"_base_ = ['mmseg::{name}']\n"
        f'train_dataloader = dict(batch_size={batch_size})\n', '.py')


@pytest.mark.parametrize('name, part', [
    ('deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py',
     'model.decode_head (ASPPHead): its image pooling'),
    ('deeplabv3plus/deeplabv3plus_r50-d8_4xb2-40k_cityscapes-512x1024.py',
     'model.decode_head (DepthwiseSeparableASPPHead): its image pooling'),
    ('pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
     'model.decode_head (PSPHead): its pool scale 1'),
    ('upernet/upernet_r50_4xb2-40k_cityscapes-512x1024.py',
     "model.decode_head (UPerHead): its pyramid pooling's scale 1"),
])
def test_mmseg_configs_at_batch_one_name_the_part(name, part):
    cfg = _mmseg_config(name)
    with pytest.raises(ConfigError) as info:
        check_batch_size(cfg)
    message = str(info.value)
    assert message.startswith(part) and '\n' not in message
    assert 'with SyncBN at train_dataloader.batch_size=1' in message
    assert 'set train_dataloader.batch_size >= 2' in message
    assert "model.decode_head.norm_cfg=dict(type='GN'" in message
    assert 'auxiliary_head' not in message  # an FCNHead trains at batch 1
    check_batch_size(_mmseg_config(name, batch_size=2))


def test_what_trains_at_batch_one_passes(repo_root):
    cfg = _mmseg_config('pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py')
    check_batch_size(Config(dict(model=cfg.model)))  # nothing to train
    cfg.model.decode_head.pool_scales = (2, 3, 6)
    check_batch_size(cfg)
    cfg.model.decode_head.pool_scales = (1, 2)
    cfg.model.decode_head.norm_cfg = dict(type='GN', num_groups=16)
    check_batch_size(cfg)
    shapes = Config.fromfile(osp.join(repo_root, SHAPES))
    shapes.train_dataloader.batch_size = 1
    check_batch_size(shapes)  # segplug's ASPP neck


def test_synced_batch_norm_over_gpus_passes(monkeypatch):
    cfg = _mmseg_config(
        'deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg.launcher = 'pytorch'
    check_batch_size(cfg)
    cfg.launcher = 'none'  # one process: SyncBN runs as BN
    with pytest.raises(ConfigError, match='ASPPHead'):
        check_batch_size(cfg)


def test_several_parts_are_reported_together():
    cfg = _mmseg_config('pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py')
    cfg.model.auxiliary_head = [
        cfg.model.auxiliary_head,
        dict(
            type='ASPPHead',
            in_channels=1024,
            channels=16,
            norm_cfg=dict(type='BN'),
            num_classes=19)
    ]
    with pytest.raises(ConfigError) as info:
        check_batch_size(cfg)
    message = str(info.value)
    assert message.startswith('2 parts cannot train at batch size 1: (1) '
                              'model.decode_head (PSPHead)')
    assert '(2) model.auxiliary_head.1 (ASPPHead)' in message
    assert "segplug's ASPP neck in its place" in message


@pytest.mark.parametrize('head', [
    dict(type='ASPPHead', dilations=(1, 2)),
    dict(
        type='DepthwiseSeparableASPPHead',
        dilations=(1, 2),
        c1_in_channels=0,
        c1_channels=0),
    dict(type='PSPHead', pool_scales=(1, 2)),
    dict(
        type='UPerHead',
        in_channels=[8, 8],
        in_index=[0, 1],
        pool_scales=(1, 2)),
    dict(type='APCHead', pool_scales=(1, 2)),
])
def test_the_named_heads_do_fail_at_batch_one(head):
    """The table is what torch does: each named head, with BN, fails on one
    image in training and runs on two."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    head = MODELS.build(
        dict(
            dict(
                in_channels=8,
                channels=8,
                num_classes=3,
                norm_cfg=dict(type='BN')), **head)).train()
    check = head.__class__.__name__
    feats = [torch.randn(1, 8, 9, 9), torch.randn(1, 8, 9, 9)]
    with pytest.raises(ValueError, match='more than 1 value per channel'):
        head(feats)
    out = head([torch.cat([f, f]) for f in feats])
    assert out.shape[:2] == (2, 3), check


def test_shapes_config_trains_at_batch_size_one(run_tool_in_process,
                                                shapes_root, tmp_path):
    """segplug's ASPP neck: its image pooling BN at batch 1 does not stop the
    run at iteration 1."""
    work = str(tmp_path / 'work')
    run_tool_in_process(['tools/train.py', SHAPES, '--work-dir', work] +
                        shapes_options(
                            shapes_root,
                            2,
                            extra=TWO_ITERS + NO_WORKERS +
                            ['train_dataloader.batch_size=1']))
    log = read_log(work)
    assert 'Iter(train) [2/2]' in log
    assert osp.isfile(osp.join(work, 'iter_2.pth'))


def test_mmseg_head_at_batch_one_stops_train_at_start_up(
        run_tool_in_process, shapes_root, tmp_path, repo_root):
    config = tmp_path / 'aspp_head.py'
    config.write_text(
        f"_base_ = '{osp.join(repo_root, SHAPES)}'\n"
        'model = dict(neck=None, decode_head=dict(\n'
        "    _delete_=True, type='ASPPHead', in_channels=128, in_index=3,\n"
        '    channels=16, dilations=(1, 6), num_classes=5,\n'
        "    norm_cfg=dict(type='SyncBN', requires_grad=True),\n"
        "    loss_decode=dict(type='CrossEntropyLoss')))\n")
    work = str(tmp_path / 'work')
    with pytest.raises(SystemExit) as info:
        run_tool_in_process(
            ['tools/train.py',
             str(config), '--work-dir', work] + shapes_options(
                 shapes_root,
                 2,
                 extra=TWO_ITERS + ['train_dataloader.batch_size=1']))
    message = info.value.code
    assert message.startswith('error: model.decode_head (ASPPHead): its '
                              'image pooling normalises one value per '
                              'channel with SyncBN')
    assert "segplug's ASPP neck in its place" in message
    assert 'Iter(train)' not in read_log(work)
    assert glob.glob(osp.join(work, '**', '*.pth'), recursive=True) == []
