"""End to end through the tools: train, kill and resume, test from the
checkpoint, two CPU processes, and the config under a plain Runner."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from ..utils import read_log, shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'
pytestmark = pytest.mark.slow


def _miou(text):
    found = re.findall(r'mIoU: ([0-9.]+)', text)
    assert found, text[-2000:]
    return float(found[-1])


def test_train_then_test_from_checkpoint(run_tool, shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', CONFIG, '--work-dir', work] +
             shapes_options(shapes_root, 6))
    ckpt = osp.join(work, 'iter_6.pth')
    assert osp.isfile(ckpt)
    assert 0 <= _miou(read_log(work)) <= 100
    assert torch.load(ckpt)['meta']['iter'] == 6  # weights_only by default

    out, show = str(tmp_path / 'pred'), str(tmp_path / 'show')
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir',
                     str(tmp_path / 'test'), '--out', out, '--show-dir', show]
                    + shapes_options(shapes_root, 6)[:4] +
                    ['default_hooks.visualization.interval=1'])
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100
    assert len([f for f in os.listdir(out) if f.endswith('.png')]) == 8
    drawn = [f for _, _, fs in os.walk(show) for f in fs if f.endswith('.png')]
    assert len(drawn) == 8

    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--tta', '--work-dir',
                     str(tmp_path / 'tta')] + shapes_options(shapes_root, 6)[:4])
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100


def test_killed_run_resumes_to_the_end(run_tool, python_exe, repo_root,
                                       shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    iters = 30
    cmd = [python_exe, 'tools/train.py', CONFIG, '--work-dir', work
           ] + shapes_options(shapes_root, iters, ckpt_interval=4)
    proc = subprocess.Popen(cmd, cwd=repo_root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not osp.isfile(osp.join(work, 'iter_8.pth')):
            assert proc.poll() is None, 'training ended before the kill'
            assert time.time() < deadline, 'no checkpoint in time'
            time.sleep(0.2)
        time.sleep(0.5)  # let the checkpoint file finish writing
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = max(int(f[5:-4]) for f in os.listdir(work)
                    if re.fullmatch(r'iter_\d+\.pth', f))
    assert killed_at < iters

    run_tool(['tools/train.py', CONFIG, '--work-dir', work, '--resume'] +
             shapes_options(shapes_root, iters, ckpt_interval=4))
    log = read_log(work)
    assert re.search(r'resumed (from )?(checkpoint|epoch|iter)', log, re.I)
    assert f'Iter(train) [{iters}/{iters}]' in log
    final = torch.load(osp.join(work, f'iter_{iters}.pth'))
    assert final['meta']['iter'] == iters
    proc = run_tool(['tools/test.py', CONFIG, osp.join(work, f'iter_{iters}.pth'),
                     '--work-dir', str(tmp_path / 'test')] +
                    shapes_options(shapes_root, iters)[:4])
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100


def test_two_processes_on_cpu(run_tool, shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    run_tool(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work]
             + shapes_options(shapes_root, 4),
             env={'PORT': '29612'})
    log = read_log(work)
    assert 'Distributed training: True' in log, log[:3000]
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'Iter(train) [4/4]' in log
    assert "'backend': 'gloo'" in log
    ckpt = osp.join(work, 'iter_4.pth')
    proc = run_tool(['bash', 'tools/dist_test.sh', CONFIG, ckpt, '2',
                     '--work-dir', str(tmp_path / 'test')] +
                    shapes_options(shapes_root, 4)[:4],
                    env={'PORT': '29613'})
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100


def test_config_runs_under_a_plain_runner(run_tool, shapes_root, tmp_path):
    """What mmseg's own tools/train.py does: no segplug import of its own,
    the config's custom_imports register the parts."""
    script = (
        'import argparse, sys\n'
        'from mmengine.config import Config, DictAction\n'
        'from mmengine.runner import Runner\n'
        'p = argparse.ArgumentParser()\n'
        'p.add_argument("config")\n'
        'p.add_argument("work_dir")\n'
        'p.add_argument("--cfg-options", nargs="+", action=DictAction)\n'
        'args = p.parse_args()\n'
        'cfg = Config.fromfile(args.config)\n'
        'cfg.work_dir = args.work_dir\n'
        'cfg.merge_from_dict(args.cfg_options)\n'
        'Runner.from_cfg(cfg).train()\n'
        'assert "segplug" in sys.modules\n')
    options = [
        f'train_dataloader.dataset.data_root={shapes_root}',
        f'val_dataloader.dataset.data_root={shapes_root}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2'
    ]
    run_tool([sys.executable, '-c', script, CONFIG,
              str(tmp_path / 'work'), '--cfg-options'] + options)
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')


def test_missing_data_is_one_clear_line(run_tool, tmp_path):
    missing = str(tmp_path / 'nowhere')
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     f'train_dataloader.dataset.data_root={missing}'],
                    check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert missing in lines[0] and 'tools/make_shapes.py' in lines[0]
    assert 'Traceback' not in proc.stderr


def test_refused_checkpoint_is_one_clear_line(run_tool, tmp_path,
                                              shapes_root):
    evil = str(tmp_path / 'evil.pth')
    subprocess.run([sys.executable, '-c',
                    'import torch, os\n'
                    'class E:\n'
                    '    def __reduce__(self): return (os.system, ("true",))\n'
                    f'torch.save({{"state_dict": {{}}, "x": E()}}, {evil!r})'],
                   check=True)
    proc = run_tool(['tools/test.py', CONFIG, evil, '--work-dir',
                     str(tmp_path / 'w')] + shapes_options(shapes_root, 2)[:4],
                    check=False)
    assert proc.returncode == 1
    assert 'refused checkpoint' in proc.stderr
    assert 'Traceback' not in proc.stderr
