"""tools/benchmark_crf_training.py on a tiny model: both tables, with
times, peaks and ratios for every row; bad arguments are one line."""
import re

import pytest

CONFIG = ('configs/deeplabv1/'
          'deeplabv1-largefov-crfasrnn_vgg16-tiny_1xb8-500_shapes-128x128.py')


def test_tiny_run_prints_both_tables(run_tool_in_process, capsys):
    run_tool_in_process([
        'tools/benchmark_crf_training.py', '--config', CONFIG, '--size', '32',
        '--batch', '2', '--repeats', '1', '--warmup', '0', '--threads', '1'
    ])
    out = capsys.readouterr().out
    num = r'([0-9][0-9.e+-]*|n/a)'
    row = rf'^\| ([^|]+) \| ([^|]+) \| {num} \| {num} \| {num} \|$'
    rows = re.findall(row, out, re.M)
    names = [(name, metric.split(':')[-1].strip())
             for name, metric, *_ in rows]
    assert names == [
        ('with CRF-as-RNN', 's (lower is better)'),
        ('with CRF-as-RNN', 'peak MiB (lower is better)'),
        ('forward + backward', 's (lower is better)'),
        ('forward + backward', 'peak MiB (lower is better)'),
        ('forward + backward, recompute', 's (lower is better)'),
        ('forward + backward, recompute', 'peak MiB (lower is better)'),
        ('post-hoc dense_crf', 's (lower is better)'),
        ('post-hoc dense_crf', 'peak MiB (lower is better)'),
    ], out
    for _, metric, ours, peer, ratio in rows:
        if metric.endswith('s (lower is better)'):
            assert float(ours) > 0 and float(peer) > 0
            assert float(ratio) == pytest.approx(
                float(ours) / float(peer), rel=0.01, abs=1e-3)
    assert '5 classes, 5 mean-field iterations' in out


def test_a_config_without_crf_as_rnn_is_one_line(run_tool_in_process):
    config = ('configs/deeplabv1/'
              'deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')
    with pytest.raises(
            SystemExit,
            match='expected a config whose '
            'model.postprocessor is a CRFAsRNN'):
        run_tool_in_process([
            'tools/benchmark_crf_training.py', '--config', config, '--size',
            '16', '--repeats', '1'
        ])
