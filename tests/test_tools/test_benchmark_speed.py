"""tools/benchmark_speed.py at a tiny setting: the equality check, the
paths and their tables (the timing and memory helpers are
tests/test_utils'). Full-size figures are not a test."""
import math
import re

import pytest
import torch

from ..utils import load_tool

FORWARD = ('mmseg fp32', 'segplug fp32', 'fast', 'fold+bf16',
           'fold+bf16+channels-last', 'onnxruntime', 'onnxruntime int8')
TRAIN = ('mmseg fp32', 'segplug fp32', 'segplug bf16 (--amp)')


@pytest.fixture(scope='module')
def bench(repo_root):
    return load_tool(repo_root, 'benchmark_speed')


def _table(out, title):
    lines = out[out.index(title):].splitlines()[3:]
    rows = []
    for line in lines[1:]:
        if not line.startswith('|'):
            break
        rows.append([c.strip() for c in line.split('|')[1:-1]])
    return rows


def _in_bf16(out, name, path):
    """Whether the forward path ``path`` of model ``name`` computes in
    bf16: the paths named so, and 'fast' where this CPU multiplies faster
    in bf16 (the benchmark prints what the fast path chose)."""
    if path == 'fast':
        return bool(
            re.search(rf'^{name} fast: fast inference: \d+ BN folded, bf16',
                      out, re.M))
    return 'bf16' in path


@pytest.fixture(scope='module')
def tiny_run(bench):
    """In-process runs of the tiny PSPNet pair (without onnxruntime: its
    export goes through the slow dynamo exporter) and of the shapes model
    (with it)."""
    import contextlib
    import io
    threads = torch.get_num_threads()
    out = io.StringIO()
    common = [
        '--size', '64', '--batch', '2', '--repeats', '1', '--warmup', '0',
        '--threads', '1'
    ]
    try:
        with contextlib.redirect_stdout(out):
            bench.main(['--tiny', '--models', 'pspnet', '--no-onnx'] + common)
            # two thread counts: the second's forward table comes after
            # the first's training steps, which must not touch its models
            bench.main(['--models', 'shapes'] + common + ['2'])
    finally:
        torch.set_num_threads(threads)
    return out.getvalue()


@pytest.mark.slow
def test_tiny_run_prints_every_path_with_rates(tiny_run):
    out = tiny_run
    diff = re.search(
        r'pspnet: outputs equal after conversion \(max abs diff '
        r'(\S+),', out)
    assert diff and float(diff.group(1)) <= 1e-4
    assert f'torch {torch.__version__}' in out
    peak = re.search(r'matrix-multiply peak (\S+) GFLOP/s fp32, (\S+) bf16',
                     out)
    assert peak and float(peak.group(1)) > 0 and float(peak.group(2)) > 0
    assert re.search(
        r'^pspnet fast: fast inference: \d+ BN folded, '
        '(bf16|fp32)', out, re.M)
    forward = _table(out, 'pspnet, forward 1x3xHxW, 1 thread(s)')
    assert [r[0] for r in forward] == list(FORWARD[:-2])
    for (path, ips, ratio, rate, fp32, bf16, int8, agree, logit_diff,
         _) in forward:
        assert int8 == 'n/a'
        assert float(ips) > 0 and math.isfinite(float(ratio))
        assert float(fp32) == pytest.approx(
            float(rate) / float(peak.group(1)), rel=0.05, abs=0.01)
        assert float(bf16) == pytest.approx(
            float(rate) / float(peak.group(2)), rel=0.05, abs=0.01)
        assert 0.9 <= float(agree) <= 1
        if not _in_bf16(out, 'pspnet', path):  # fp32: the same logits
            assert float(logit_diff) < 1e-4, path
    assert forward[0][1:3] == [forward[0][1], '1.000']
    train = _table(out, 'pspnet, training step at batch 2, 1 thread(s)')
    assert [r[0] for r in train] == list(TRAIN)
    assert all(float(r[1]) > 0 and float(r[3]) > 0 for r in train)
    assert 'deeplabv3:' not in out


@pytest.mark.slow
def test_shapes_model_is_timed_against_itself(tiny_run):
    out = tiny_run[tiny_run.index('shapes, forward'):]
    rows = _table(out, 'shapes, forward 1x3xHxW, 1 thread(s)')
    assert [r[0] for r in rows] == list(FORWARD[1:])
    assert rows[0][2] == '1.000' and '| labels = segplug fp32 |' in out
    train = _table(out, 'shapes, training step at batch 2, 1 thread(s)')
    assert [r[0] for r in train] == list(TRAIN[1:])
    peak = re.search(
        r'shapes, 1 thread\(s\): matrix-multiply peak \S+ '
        r'GFLOP/s fp32, \S+ bf16, (\S+) GOP/s int8', tiny_run)
    assert peak and float(peak.group(1)) > 0
    path, _, _, rate, _, _, int8, agree, _, _ = rows[-1]
    assert float(int8) == pytest.approx(
        float(rate) / float(peak.group(1)), rel=0.05, abs=0.01)
    assert [r[6] for r in rows[:-1]] == ['n/a'] * (len(rows) - 1)
    later = _table(out, 'shapes, forward 1x3xHxW, 2 thread(s)')
    for path, *_, agree, logit_diff, _ in later:
        if 'int8' in path:  # quantized: labels near, logits not equal
            assert float(agree) >= 0.5, path
        elif not _in_bf16(tiny_run, 'shapes', path):
            assert float(agree) == 1 and float(logit_diff) < 1e-4, path


@pytest.mark.parametrize(
    'argv', [['--size', '0'], ['--repeats', '0'], ['--warmup', '-1'],
             ['--models', 'fcn'], ['--threads', '0']])
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
