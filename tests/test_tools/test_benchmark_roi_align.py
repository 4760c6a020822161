"""tools/benchmark_roi_align.py at a tiny setting: the equality check and
the table. Full-size figures are not a test."""
import math

import pytest

from ..utils import load_tool


def test_tiny_run_prints_equal_outputs_and_ratios(run_tool, tmp_path):
    proc = run_tool([
        'tools/benchmark_roi_align.py', '--tiny', '--repeats', '1', '--warmup',
        '0', '--threads', '1', '--train-step'
    ],
                    timeout=300,
                    env={'TMPDIR': str(tmp_path)})
    # the training step's shapes data is removed once it is in memory
    assert not [
        p.name for p in tmp_path.iterdir()
        if p.name.startswith('benchmark_roi_align_')
    ]
    out = proc.stdout
    for case in ('shapes', 'coco'):
        line = next(ln for ln in out.splitlines()
                    if ln.startswith(f'{case}: outputs and gradients equal'))
        assert float(line.split('max abs diff ')[1].split(',')[0]) <= 1e-4
    assert '| case | metric | segplug | mmcv | segplug/mmcv |' in out
    rows = [
        line.split('|')[1:-1] for line in out.splitlines()
        if line.startswith(('| shapes |', '| coco |', '| Mask R-CNN |'))
    ]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        (case, metric) for case in ('shapes', 'coco')
        for metric in ('forward ms', 'forward + backward ms')
    ] + [('Mask R-CNN', 'training step ms')]
    for _, _, ours, theirs, ratio in rows:
        assert float(ours) > 0 and float(theirs) > 0
        assert math.isfinite(float(ratio))
        assert float(ratio) == pytest.approx(
            float(ours) / float(theirs), rel=0.01, abs=1e-3)


def test_bad_arguments_are_one_clear_line(repo_root, capsys):
    bench = load_tool(repo_root, 'benchmark_roi_align')
    with pytest.raises(SystemExit) as info:
        bench.parse_args(['--repeats', '0'])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        '--repeats and --threads must be >= 1, --warmup >= 0')
