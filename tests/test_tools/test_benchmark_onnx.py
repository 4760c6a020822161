"""tools/benchmark_onnx.py at a tiny setting: the equality check, the
int8 model, the rates against the peaks and the two ratio tables.
Full-size figures are not a test."""
import math
import re

import pytest

from ..utils import load_tool


def table_rows(out, peer):
    header = f'| model | metric | segplug | {peer} | segplug/{peer} |'
    assert header in out
    block = out.split(header, 1)[1].splitlines()[2:]
    rows = []
    for line in block:
        if not line.startswith('| deeplabv3 '):
            break
        rows.append([c.strip() for c in line.split('|')[1:-1]])
    return rows


def test_tiny_run_prints_equal_outputs_and_ratios(run_tool):
    out = run_tool([
        'tools/benchmark_onnx.py', '--tiny', '--models', 'deeplabv3',
        '--repeats', '1', '--warmup', '0', '--threads', '1', '2', '--profile'
    ],
                   timeout=300).stdout
    diff = re.search(
        r'deeplabv3: onnxruntime equals PyTorch \(torchscript '
        r'exporter, max abs diff (\S+),', out)
    assert diff and float(diff.group(1)) <= 1e-3
    assert 'tiny models' in out and 'forward 1x3x64x64' in out
    assert re.search(
        r'deeplabv3: int8 model with \d+ convolutions '
        'quantized', out)
    peaks = {
        int(t): (float(fp32), float(int8))
        for t, fp32, int8 in re.findall(
            r'deeplabv3, (\d) thread\(s\): peaks (\S+) GFLOP/s fp32, (\S+) '
            'GOP/s int8', out)
    }
    assert set(peaks) == {1, 2} and min(min(p) for p in peaks.values()) > 0
    rates = re.findall(
        r'^\| deeplabv3 \| (\d) \| ([a-z0-9 ]+) \| (\S+) \| (\S+) \| '
        r'(\S+) \| (\S+) \((int8|fp32)\) \|$', out, re.M)
    assert [(t, p) for t, p, *_ in rates] == [
        (t, p) for t in '12'
        for p in ('onnxruntime fp32', 'onnxruntime int8', 'mmseg eager fp32')
    ]
    for threads, path, _, _, rate, share, kind in rates:
        peak = peaks[int(threads)][kind == 'int8']
        assert (kind == 'int8') == ('int8' in path)
        assert float(share) == pytest.approx(
            float(rate) / peak, rel=0.05, abs=0.01)
    assert re.search(r'^\| QLinearConv \| \d+ \| ', out, re.M)
    metrics = [
        f'forward img/s, {t} thread(s) (higher is better)' for t in (1, 2)
    ]
    for peer in ('eager', 'mmseg'):
        rows = table_rows(out, peer)
        assert [(r[0], r[1])
                for r in rows] == [(f'deeplabv3 onnxruntime {kind}', m)
                                   for m in metrics
                                   for kind in ('fp32', 'int8')]
        for _, _, ours, theirs, ratio in rows:
            assert float(ours) > 0 and float(theirs) > 0
            assert math.isfinite(float(ratio))
            assert float(ratio) == pytest.approx(
                float(ours) / float(theirs), rel=0.01, abs=1e-3)


@pytest.mark.parametrize('argv, message',
                         [(['--size', '0'], '--size: expected'),
                          (['--threads', '0'], '--threads: expected'),
                          (['--warmup', '-1'], '--warmup: expected')])
def test_bad_flags(repo_root, capsys, argv, message):
    tool = load_tool(repo_root, 'benchmark_onnx')
    with pytest.raises(SystemExit) as info:
        tool.parse_args(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err
