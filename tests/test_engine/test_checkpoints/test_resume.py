import os
import os.path as osp
import shutil
import subprocess

import pytest
import torch
from mmengine.config import Config

from segplug.engine import CheckpointError, resolve_resume, resume_candidates
from segplug.engine.checkpoints import resume as resume_module


@pytest.fixture
def said(monkeypatch):
    """The lines resolve_resume prints."""
    lines = []
    monkeypatch.setattr(
        resume_module, '_say', lambda text, level=None: lines.append(text))
    return lines


def _checkpoint(work, it, torn=False):
    path = osp.join(work, f'iter_{it}.pth')
    torch.save({
        'meta': {
            'iter': it
        },
        'state_dict': {
            'w': torch.ones(99)
        }
    }, path)
    if torn:
        with open(path, 'rb') as f:
            data = f.read()
        with open(path, 'wb') as f:
            f.write(data[:len(data) // 2])
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(path)
    return path


def _cfg(work, load_from=None):
    return Config(dict(resume=True, load_from=load_from, work_dir=str(work)))


def test_torn_newest_checkpoint_is_skipped_saying_why(tmp_path, said):
    older = _checkpoint(str(tmp_path), 4)
    newest = _checkpoint(str(tmp_path), 8, torn=True)
    cfg = _cfg(tmp_path)
    resolve_resume(cfg)
    assert cfg.load_from == older and cfg.resume
    assert said[0].startswith(f'--resume: skipping {newest}: it is '
                              'truncated or corrupt')
    assert said[-1] == f'--resume: resuming from {older}'


def test_no_intact_checkpoint_is_one_line(tmp_path, said):
    first = _checkpoint(str(tmp_path), 4, torn=True)
    second = _checkpoint(str(tmp_path), 8, torn=True)
    with pytest.raises(CheckpointError) as err:
        resolve_resume(_cfg(tmp_path))
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith(f'--resume: no intact checkpoint in {tmp_path}: ')
    assert msg.index(second) < msg.index(first)  # newest first
    assert 'truncated or corrupt' in msg and '--resume PATH' in msg


def test_moved_work_dir_resumes_from_its_own_files(tmp_path, said):
    old = str(tmp_path / 'old')
    os.makedirs(old)
    _checkpoint(old, 4)
    new = str(tmp_path / 'new')
    shutil.copytree(old, new)
    with open(osp.join(new, 'last_checkpoint')) as f:
        assert f.read() == osp.join(old, 'iter_4.pth')  # still the old path
    cfg = _cfg(new)
    resolve_resume(cfg)
    assert cfg.load_from == osp.join(new, 'iter_4.pth')
    shutil.rmtree(old)
    assert resume_candidates(new) == [osp.join(new, 'iter_4.pth')]


def test_recorded_checkpoint_of_another_name_comes_first(tmp_path):
    _checkpoint(str(tmp_path), 8)
    custom = str(tmp_path / 'weights_at_2.pth')
    shutil.copy(tmp_path / 'iter_8.pth', custom)
    with open(tmp_path / 'last_checkpoint', 'w') as f:
        f.write(custom)
    assert resume_candidates(
        str(tmp_path)) == [custom, str(tmp_path / 'iter_8.pth')]


def test_named_checkpoint_that_is_torn_or_absent_is_an_error(tmp_path):
    torn = _checkpoint(str(tmp_path), 4, torn=True)
    with pytest.raises(
            CheckpointError,
            match=f'--resume {torn}: the '
            'checkpoint is truncated or corrupt'):
        resolve_resume(_cfg(tmp_path, load_from=torn))
    absent = str(tmp_path / 'iter_9.pth')
    with pytest.raises(
            CheckpointError, match='iter_9.pth: the checkpoint '
            'is not found'):
        resolve_resume(_cfg(tmp_path, load_from=absent))
    good = _checkpoint(str(tmp_path), 6)
    cfg = _cfg(tmp_path, load_from=good)
    resolve_resume(cfg)
    assert cfg.load_from == good


def test_no_checkpoint_trains_from_scratch(tmp_path, said):
    cfg = _cfg(tmp_path / 'fresh')
    resolve_resume(cfg)
    assert not cfg.resume and cfg.load_from is None
    assert said == [
        f'--resume: no checkpoint in {tmp_path / "fresh"}; '
        'training from scratch'
    ]


def test_temp_files_of_killed_saves_are_removed(tmp_path, said):
    dead = osp.join(str(tmp_path), f'.iter_8.pth.tmp-{_dead_pid()}')
    open(dead, 'wb').close()
    live = osp.join(str(tmp_path), '.iter_8.pth.tmp-1')  # pid 1 is alive
    open(live, 'wb').close()
    ckpt = _checkpoint(str(tmp_path), 4)
    cfg = _cfg(tmp_path)
    resolve_resume(cfg)
    assert not osp.exists(dead) and osp.exists(live)
    assert said[0] == f'removed {dead}, left by a save that was killed'
    assert cfg.load_from == ckpt


def _dead_pid() -> int:
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid
