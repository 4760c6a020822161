"""tools/benchmark_speed.py at a tiny setting: the equality check and the
table (the timing and memory helpers are tests/test_utils'). Full-size
figures are not a test."""
import math
import re

import pytest
import torch

from ..utils import load_tool

METRICS = ('forward img/s', 'train it/s at batch 2', 'forward peak MiB',
           'train peak MiB')


@pytest.fixture(scope='module')
def bench(repo_root):
    return load_tool(repo_root, 'benchmark_speed')


def test_tiny_run_prints_equal_outputs_and_ratios(run_tool):
    proc = run_tool([
        'tools/benchmark_speed.py', '--tiny', '--models', 'pspnet', '--size',
        '64', '--batch', '2', '--repeats', '1', '--warmup', '0', '--threads',
        '1'
    ],
                    timeout=300)
    out = proc.stdout
    diff = re.search(
        r'pspnet: outputs equal after conversion \(max abs diff '
        r'(\S+),', out)
    assert diff and float(diff.group(1)) <= 1e-4
    assert f'torch {torch.__version__}' in out and 'threads 1' in out
    assert '| model | metric | segplug | mmseg | segplug/mmseg |' in out
    rows = [
        line.split('|')[1:-1] for line in out.splitlines()
        if line.startswith('| pspnet |')
    ]
    assert [row[1].strip().split(' (')[0] for row in rows] == list(METRICS)
    for _, metric, ours, theirs, ratio in rows:
        if 'MiB' in metric and 'n/a' in (theirs.strip(), ratio.strip()):
            continue  # a tiny model's call may fit in freed memory
        assert float(ours) >= 0 and float(theirs) > 0
        assert math.isfinite(float(ratio)) and float(ratio) >= 0
        assert float(ratio) == pytest.approx(
            float(ours) / float(theirs), rel=0.01, abs=1e-3)
    for _, _, ours, theirs, ratio in rows[:2]:  # throughputs
        assert float(ours) > 0 and float(ratio) > 0
    assert 'deeplabv3' not in out


@pytest.mark.parametrize('argv', [['--size', '0'], ['--repeats', '0'],
                                  ['--warmup', '-1'], ['--models', 'fcn']])
def test_bad_arguments_exit(bench, argv):
    with pytest.raises(SystemExit) as info:
        bench.parse_args(argv)
    assert info.value.code == 2


@pytest.mark.parametrize('flag, value', [('--batch', '1'), ('--size', '0'),
                                         ('--warmup', '-1')])
def test_bad_flags_stop_with_one_line(bench, capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args([flag, value])
    assert exit_info.value.code == 2
    assert f'{flag}: expected' in capsys.readouterr().err
