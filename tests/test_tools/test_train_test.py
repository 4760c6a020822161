"""End to end through the tools: train, test from the checkpoint, two CPU
processes, and the config under a plain Runner (kill and resume:
test_fault_injection.py)."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from ..test_apis.trained import CONFIG, ITERS, trained_run
from ..utils import read_log, shapes_options

pytestmark = pytest.mark.slow


def _miou(text):
    found = re.findall(r'mIoU: ([0-9.]+)', text)
    assert found, text[-2000:]
    return float(found[-1])


def test_train_then_test_from_checkpoint(run_tool, shapes_root,
                                         tmp_path_factory, tmp_path):
    # the training: tools/train.py, 4 iterations, shared with the inference
    # tests (test_apis/trained.py)
    work = trained_run(run_tool, shapes_root, tmp_path_factory)
    ckpt = osp.join(work, f'iter_{ITERS}.pth')
    assert osp.isfile(ckpt)
    assert 0 <= _miou(read_log(work)) <= 100
    # weights_only by default
    assert torch.load(ckpt)['meta']['iter'] == ITERS

    out, show = str(tmp_path / 'pred'), str(tmp_path / 'show')
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--work-dir',
        str(tmp_path / 'test'), '--out', out, '--show-dir', show
    ] + shapes_options(shapes_root, ITERS)[:4] +
                    ['default_hooks.visualization.interval=1'])
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100
    assert len([f for f in os.listdir(out) if f.endswith('.png')]) == 8
    drawn = [f for _, _, fs in os.walk(show) for f in fs if f.endswith('.png')]
    assert len(drawn) == 8

    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--tta', '--work-dir',
        str(tmp_path / 'tta')
    ] + shapes_options(shapes_root, ITERS)[:4])
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100

    fp32 = _miou(read_log(str(tmp_path / 'test')))
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--fast', '--work-dir',
        str(tmp_path / 'fast')
    ] + shapes_options(shapes_root, ITERS)[:4])
    log = proc.stdout + proc.stderr
    assert re.search(r'fast inference: [1-9]\d* BN folded', log), log[-2000:]
    assert abs(_miou(log) - fp32) <= 0.1


# srun as slurm runs tools/slurm_*.sh's tasks, here: --ntasks processes
# on this machine, each with the SLURM_* variables of its rank
FAKE_SRUN = r"""#!/usr/bin/env bash
ntasks=1
while [ $# -gt 0 ]; do
  case $1 in
    -p|-J) shift 2;;
    --ntasks=*) ntasks=${1#--ntasks=}; shift;;
    -*) shift;;
    *) break;;
  esac
done
pids=()
for ((i = 0; i < ntasks; i++)); do
  SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NTASKS=$ntasks \
  SLURM_NODELIST=localhost MASTER_ADDR=127.0.0.1 "$@" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
"""


def test_two_nodes_on_localhost_then_slurm(repo_root, run_tool, shapes_root,
                                           tmp_path):
    """tools/dist_train.sh as two nodes of one process each (NNODES=2,
    NODE_RANK 0 and 1) over gloo: one run, one checkpoint, the data
    decoded on rank 0 only (each node has its own data check cache). Then
    tools/slurm_test.sh on that checkpoint, two tasks."""
    work, caches = tmp_path / 'work', [
        tmp_path / 'cache0', tmp_path / 'cache1'
    ]
    nodes = []
    for rank in (0, 1):
        env = dict(
            os.environ,
            NNODES='2',
            NODE_RANK=str(rank),
            PORT='29612',
            PYTHON=sys.executable,
            SEGPLUG_CACHE_DIR=str(caches[rank]))
        out = open(tmp_path / f'node{rank}.txt', 'w')
        nodes.append((subprocess.Popen(
            [
                'bash', 'tools/dist_train.sh', CONFIG, '1', '--work-dir',
                str(work)
            ] + shapes_options(shapes_root, 4),
            cwd=repo_root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT), out))
    for proc, out in nodes:
        proc.wait(timeout=600)
        out.close()
    outputs = [(tmp_path / f'node{r}.txt').read_text() for r in (0, 1)]
    assert [p.returncode for p, _ in nodes] == [0, 0], outputs[0][-3000:] + \
        outputs[1][-3000:]
    log = read_log(str(work))
    assert 'Distributed training: True' in log, log[:3000]
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'Iter(train) [4/4]' in log and "'backend': 'gloo'" in log
    assert sorted(f for f in os.listdir(work) if f.endswith('.pth')) == \
        ['iter_4.pth']
    assert os.listdir(caches[0] / 'data_check')
    assert not osp.exists(caches[1] / 'data_check')

    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    proc = run_tool(
        [
            'bash', 'tools/slurm_test.sh', 'partition', 'job', CONFIG,
            str(work / 'iter_4.pth'), '--work-dir',
            str(tmp_path / 'test')
        ] + shapes_options(shapes_root, 4)[:4],
        env={
            'PATH': f'{bin_dir}:{os.environ["PATH"]}',
            'GPUS': '2',
            'GPUS_PER_NODE': '2',
            'MASTER_PORT': '29613'
        })
    test_log = read_log(str(tmp_path / 'test'))
    assert 'Distributed launcher: slurm' in test_log
    assert 'GPU number: 2' in test_log
    assert 0 <= _miou(proc.stdout + proc.stderr) <= 100


def test_config_runs_under_a_plain_runner(run_tool, shapes_root, tmp_path):
    """What mmseg's own tools/train.py does: no segplug import of its own,
    the config's custom_imports register the parts."""
    script = ('import argparse, sys\n'
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
    run_tool([
        sys.executable, '-c', script, CONFIG,
        str(tmp_path / 'work'), '--cfg-options'
    ] + options)
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')


def test_missing_data_is_one_clear_line(run_tool, tmp_path):
    missing = str(tmp_path / 'nowhere')
    proc = run_tool([
        'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'train_dataloader.dataset.data_root={missing}'
    ],
                    check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert missing in lines[0] and 'segplug make-shapes' in lines[0]
    assert 'Traceback' not in proc.stderr


class _RunsCode:

    def __reduce__(self):
        return (os.system, ('true', ))


def test_refused_checkpoint_is_one_clear_line(run_tool_in_process, tmp_path,
                                              shapes_root, capfd):
    evil = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'x': _RunsCode()}, evil)
    with pytest.raises(SystemExit) as exc:
        run_tool_in_process(
            ['tools/test.py', CONFIG, evil, '--work-dir',
             str(tmp_path / 'w')] + shapes_options(shapes_root, 2)[:4])
    msg = exc.value.code
    assert msg.startswith(f'error: refused checkpoint {evil}: unpickling it '
                          'needs posix.system') and '\n' not in msg
    out = capfd.readouterr()
    assert 'mIoU: ' not in out.out + out.err
