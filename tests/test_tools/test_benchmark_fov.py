"""tools/benchmark_fov.py on the tiny shapes versions: the four models of
DeepLab v1's Table 2 with times, speeds as ratios to DeepLab-CRF-7x7 and
the paper's figures; bad arguments are one line."""
import re

import pytest


def test_tiny_run_prints_the_study(run_tool_in_process, capsys):
    run_tool_in_process([
        'tools/benchmark_fov.py', '--models', 'shapes', '--size', '32',
        '--repeats', '1', '--warmup', '0', '--threads', '1'
    ])
    out = capsys.readouterr().out
    num = r'([0-9][0-9.e+-]*)'
    row = (rf'^\| ([^|]+) \| ([^|]+) \| {num} \| {num} \| {num} \| {num} '
           rf'\| {num} \| {num} \| {num} \| {num} \| {num} \|$')
    rows = re.findall(row, out, re.M)
    assert [(r[0], r[1]) for r in rows] == [
        ('DeepLab-CRF-7x7', '7x7 rate 4, 1024 ch'),
        ('DeepLab-CRF', '4x4 rate 4, 1024 ch'),
        ('DeepLab-CRF-4x4', '4x4 rate 8, 1024 ch'),
        ('DeepLab-CRF-LargeFOV', '3x3 rate 12, 256 ch'),
    ], out
    values = [[float(v) for v in r[2:]] for r in rows]
    params, gflops, fwd, train = zip(*(v[:4] for v in values))
    assert params[1] == params[2] < params[0] and params[3] < params[1]
    for (*_, flop_ratio, fwd_speed, train_speed, paper,
         paper_speed), f, s, t in zip(values, gflops, fwd, train):
        assert flop_ratio == pytest.approx(gflops[0] / f, rel=0.05)
        assert fwd_speed == pytest.approx(fwd[0] / s, rel=0.05, abs=0.01)
        assert train_speed == pytest.approx(train[0] / t, rel=0.05, abs=0.01)
        assert paper_speed == pytest.approx(paper / 1.44, abs=0.01)
    assert [v[-2] for v in values] == [1.44, 2.9, 2.9, 4.84]
    assert 'shapes configs, 32x32, batch 1' in out


@pytest.mark.parametrize('args, message', [
    (['--size', '8'], '--size: expected >= 16, got 8'),
    (['--repeats', '0'], '--repeats: expected a positive int, got 0'),
    (['--models', 'coco'], "invalid choice: 'coco'"),
])
def test_bad_arguments_are_one_line(run_tool_in_process, capsys, args,
                                    message):
    with pytest.raises(SystemExit):
        run_tool_in_process(['tools/benchmark_fov.py'] + args)
    assert message in capsys.readouterr().err
