"""The data check of a distributed run: rank 0 checks, every rank takes
its verdict. The process group is simulated here (the real one, two nodes
on localhost: tests/test_tools/test_train_test.py)."""
import os
import shutil

import pytest
from mmengine.config import Config

from segplug.engine import DataError
from segplug.engine.checks.data import rank_zero

LOADERS = ['train_dataloader', 'val_dataloader']


class _Group:
    """torch.distributed as one rank of two sees it; what rank 0 sends
    is ``received`` (rank 1) or recorded in ``sent`` (rank 0)."""

    def __init__(self, rank, received=None):
        self.rank, self.received, self.sent = rank, received, []
        self.groups = []

    def install(self, monkeypatch):
        dist = rank_zero.dist
        monkeypatch.setattr(rank_zero, '_rank_and_size', lambda:
                            (self.rank, 2))
        monkeypatch.setattr(dist, 'new_group', self.new_group)
        monkeypatch.setattr(dist, 'destroy_process_group', self.groups.remove)
        monkeypatch.setattr(dist, 'broadcast_object_list', self.broadcast)

    def new_group(self, backend, timeout):
        assert backend == 'gloo' and timeout.total_seconds() >= 3600
        self.groups.append(object())
        return self.groups[-1]

    def broadcast(self, box, src, group):
        assert src == 0 and group in self.groups
        if self.rank == 0:
            self.sent.append(box[0])
        else:
            box[0] = self.received


@pytest.fixture
def shapes_cfg(shapes_root, tmp_path, repo_root):
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    cfg = Config.fromfile(f'{repo_root}/configs/deeplabv3plus_shapes.py')
    for loader in LOADERS + ['test_dataloader']:
        cfg[loader].dataset.data_root = str(root)
    cfg.work_dir = str(tmp_path / 'work')
    return root, cfg


def test_rank_0_checks_and_sends_the_left_out_samples(shapes_cfg, monkeypatch):
    root, cfg = shapes_cfg
    (root / 'JPEGImages' / 'train_00003.jpg').write_bytes(b'')
    cfg.data_check = 'warn'
    group = _Group(0)
    group.install(monkeypatch)
    with pytest.warns(UserWarning, match='samples are left out'):
        summary = rank_zero.check_data_once(cfg, LOADERS)
    kind, sent_summary, datasets = group.sent[0]
    assert kind == 'ok' and sent_summary.left_out == summary.left_out == 1
    indices = datasets['train_dataloader']['indices']
    assert len(indices) == 15 and 3 not in indices
    assert 'indices' not in datasets['val_dataloader']
    assert group.groups == []  # its own group, destroyed after


def test_other_ranks_take_rank_0s_datasets_without_decoding(
        shapes_cfg, monkeypatch):
    _, cfg = shapes_cfg
    dataset = dict(cfg.train_dataloader.dataset.to_dict(), indices=[0, 2])

    def must_not_run(*args):
        raise AssertionError('rank 1 decoded the data')

    monkeypatch.setattr(rank_zero, 'check_data', must_not_run)
    _Group(1, ('ok', 'summary', {
        'train_dataloader': dataset
    })).install(monkeypatch)
    assert rank_zero.check_data_once(cfg, LOADERS) == 'summary'
    assert cfg.train_dataloader.dataset.indices == [0, 2]
    assert cfg.train_dataloader.dataset.data_root == dataset['data_root']


def test_rank_0s_error_is_every_ranks(shapes_cfg, monkeypatch):
    root, cfg = shapes_cfg
    os.remove(root / 'SegmentationClass' / 'val_00001.png')
    group = _Group(0)
    group.install(monkeypatch)
    with pytest.raises(DataError, match='val_00001') as raised:
        rank_zero.check_data_once(cfg, LOADERS)
    kind, error, _ = group.sent[0]
    assert kind == 'error' and str(error) == str(raised.value)
    _Group(1, group.sent[0]).install(monkeypatch)
    with pytest.raises(DataError, match='val_00001'):
        rank_zero.check_data_once(cfg, LOADERS)


def test_a_crash_on_rank_0_stops_the_others_too(shapes_cfg, monkeypatch):
    _, cfg = shapes_cfg

    def crash(*args):
        raise KeyError('boom')

    monkeypatch.setattr(rank_zero, 'check_data', crash)
    group = _Group(0)
    group.install(monkeypatch)
    with pytest.raises(KeyError):
        rank_zero.check_data_once(cfg, LOADERS)
    assert group.sent == [('crash', "KeyError: 'boom'", {})]
    _Group(1, group.sent[0]).install(monkeypatch)
    with pytest.raises(
            RuntimeError, match="rank 0 stopped in the data check: KeyError"):
        rank_zero.check_data_once(cfg, LOADERS)
