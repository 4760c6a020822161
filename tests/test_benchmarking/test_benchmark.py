"""The timing helpers the benchmark tools share: the order of the calls,
the medians, the peak memory and the table."""
import types

import pytest
import torch

from segplug.benchmarking import benchmark

CPU = torch.device('cpu')


class _FakeClock:
    """``time.perf_counter`` that only moves when a step advances it."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _FakeClock()
    monkeypatch.setattr(benchmark, 'time',
                        types.SimpleNamespace(perf_counter=fake.perf_counter))
    return fake


def _steps(clock, calls, durations):
    """Steps named by ``durations``' keys that log their calls and take
    their next duration from ``durations`` each."""

    def make(name):
        times = iter(durations[name])

        def step():
            calls.append(name)
            clock.now += next(times)

        return step

    return [make(name) for name in durations]


def test_steps_alternate_with_warmup_rounds_first(clock):
    calls = []
    steps = _steps(clock, calls, dict(a=[1.0] * 5, b=[1.0] * 5))
    benchmark.interleaved(steps, CPU, warmup=2, repeats=3, memory=False)
    assert calls == ['a', 'b'] * 5


def test_medians_leave_out_the_warmup(clock):
    durations = dict(a=[100.0, 5.0, 1.0, 3.0], b=[50.0, 0.25, 0.5, 0.125])
    results = benchmark.interleaved(
        _steps(clock, [], durations), CPU, warmup=1, repeats=3, memory=False)
    assert results == [(3.0, None), (0.25, None)]


def test_an_even_number_of_repeats_takes_the_middle_mean(clock):
    durations = dict(a=[1.0, 4.0, 2.0, 8.0])
    (seconds, _), = benchmark.interleaved(
        _steps(clock, [], durations), CPU, warmup=0, repeats=4, memory=False)
    assert seconds == 3.0


def test_a_missing_peak_makes_the_median_peak_missing():
    assert benchmark._median_or_none([3.0, None, 1.0]) is None
    assert benchmark._median_or_none([3.0, 2.0, 1.0]) == 2.0


def test_peak_memory_sees_an_allocation():
    """64 MiB touched and freed within the block count; the memory of the
    process before it does not."""
    if not benchmark.PeakMemory.can_reset_hwm:
        pytest.skip('/proc/self/clear_refs is not writable here')
    before = torch.ones(32 * 2**20)  # noqa: F841, resident throughout

    def step():
        block = torch.ones(16 * 2**20)  # 64 MiB of float32
        del block

    seconds, peak = benchmark.measure(step, CPU)
    assert seconds > 0
    assert 60 < peak < 100  # MiB


def test_without_memory_there_is_no_peak():
    seconds, peak = benchmark.measure(lambda: None, CPU, memory=False)
    assert seconds >= 0 and peak is None


def test_table_has_every_row_with_its_ratio(capsys):
    benchmark.print_table(
        'model',
        'mmseg', [
            ('pspnet', 'forward img/s', 2.0, 4.0),
            ('pspnet', 'forward peak MiB', None, 10.0),
        ],
        failed=[])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        '| model | metric | segplug | mmseg | segplug/mmseg |',
        '| --- | --- | --- | --- | --- |',
        '| pspnet | forward img/s | 2 | 4 | 0.500 |',
        '| pspnet | forward peak MiB | n/a | 10 | n/a |',
    ]


def test_table_exits_naming_what_was_not_timed(capsys):
    with pytest.raises(SystemExit) as info:
        benchmark.print_table(
            'case',
            'mmcv', [('coco', 'forward ms', 1.0, 2.0)],
            failed=['shapes'])
    assert info.value.code == 'error: outputs differ, not timed: shapes'
    assert '| coco | forward ms | 1 | 2 | 0.500 |' in capsys.readouterr().out


def test_run_conditions_name_torch_the_cpu_and_the_threads():
    line = benchmark.run_conditions(CPU)
    assert line.startswith(f'torch {torch.__version__}, CPU ')
    assert f'threads {torch.get_num_threads()}, load average ' in line
    assert benchmark.device_name(CPU) in line
