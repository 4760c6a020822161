"""What a cluster does to long jobs, through tools/train.py: SIGTERM to the
job's whole process group (the scheduler's notice before a kill), Ctrl-C
(SIGINT to the terminal's group), and a second run started on a work dir
in use. Each run is its own process group, as a job or a terminal's
command is."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from ..utils import shapes_options

pytestmark = pytest.mark.slow
CONFIG = 'configs/deeplabv3plus_shapes.py'
ITERS = 8


def _start(repo_root, work, shapes_root, log, iters=ITERS, resume=False):
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir',
            str(work)] + (['--resume'] if resume else []) + shapes_options(
                shapes_root, iters, extra=['default_hooks.logger.interval=1'])
    return subprocess.Popen(
        args,
        cwd=repo_root,
        stdout=open(log, 'w'),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONUNBUFFERED='1'))


def _wait_for_line(proc, log, pattern, timeout=300):
    deadline = time.time() + timeout
    while not re.search(pattern, open(log).read()):
        assert proc.poll() is None, open(log).read()[-3000:]
        assert time.time() < deadline, 'no progress'
        time.sleep(0.05)


def _weights(path):
    return torch.load(
        path, map_location='cpu', weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def uninterrupted(repo_root, shapes_root, tmp_path_factory):
    work = tmp_path_factory.mktemp('uninterrupted')
    log = work / 'out.log'
    proc = _start(repo_root, work, shapes_root, log)
    assert proc.wait(timeout=600) == 0, open(log).read()[-3000:]
    return _weights(work / f'iter_{ITERS}.pth')


@pytest.mark.parametrize('signum, name',
                         [(signal.SIGTERM, 'SIGTERM'),
                          (signal.SIGINT, r'Ctrl-C \(SIGINT\)')])
def test_a_signal_saves_and_the_resumed_run_ends_as_an_uninterrupted_one(
        repo_root, shapes_root, tmp_path, uninterrupted, signum, name):
    work, log = tmp_path / 'work', tmp_path / 'first.log'
    proc = _start(repo_root, work, shapes_root, log)
    _wait_for_line(proc, log, rf'Iter\(train\) \[3/{ITERS}\]')
    os.killpg(proc.pid, signum)  # the workers get it too
    assert proc.wait(timeout=300) == 128 + signum
    last = open(log).read().strip().splitlines()[-1]
    found = re.fullmatch(
        rf'error: {name} at iteration (\d)/{ITERS}: saved '
        rf'{work}/iter_(\d).pth; resume with the same command and --resume',
        last)
    assert found and found[1] == found[2], last
    assert 3 <= int(found[1]) < ITERS
    assert 'Traceback' not in open(log).read()

    resumed_log = tmp_path / 'resumed.log'
    proc = _start(repo_root, work, shapes_root, resumed_log, resume=True)
    assert proc.wait(timeout=600) == 0, open(resumed_log).read()[-3000:]
    assert f'resuming from {work}/iter_{found[1]}.pth' in open(
        resumed_log).read()
    resumed = _weights(work / f'iter_{ITERS}.pth')
    assert resumed.keys() == uninterrupted.keys()
    different = [
        k for k in resumed if not torch.equal(resumed[k], uninterrupted[k])
    ]
    assert not different, different[:5]


def test_a_second_run_on_a_work_dir_in_use_refuses(repo_root, shapes_root,
                                                   tmp_path, run_tool):
    work, log = tmp_path / 'work', tmp_path / 'first.log'
    first = _start(repo_root, work, shapes_root, log, iters=400)
    try:
        _wait_for_line(first, log, r'Iter\(train\)')
        second = run_tool(
            ['tools/train.py', CONFIG, '--work-dir',
             str(work)] + shapes_options(shapes_root, 4),
            check=False)
        assert second.returncode == 1
        line = second.stderr.strip().splitlines()[-1]
        assert line.startswith(f'error: work_dir {work} is in use by another '
                               f'training run (pid {first.pid} on ')
        assert line.endswith('; wait for it to end, or give another '
                             '--work-dir')
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # a crash: no clean-up
        first.wait()
    # the crashed run's lock went with it
    third = run_tool(
        ['tools/train.py', CONFIG, '--work-dir',
         str(work)] + shapes_options(shapes_root, 4),
        check=False)
    assert third.returncode == 0, third.stderr[-3000:]
    assert (work / 'iter_4.pth').is_file()
