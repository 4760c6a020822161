"""Timing and peak memory for the tools that compare segplug with a peer.

Each tool runs segplug's code and its peer's in one process, in turn (A, B,
A, B, ...), so that a change of load on the machine or of the CPU's clock
falls on both alike, and reports medians after warm-up calls, which take
the one-off costs (allocator growth, lazy initialisation, caches).
"""
import ctypes
import gc
import os
import platform
import statistics
import sys
import time
from typing import Callable, List, Optional, Sequence, Tuple

import torch

Step = Callable[[], object]


def _proc_status_bytes(field: str) -> int:
    with open('/proc/self/status') as f:
        line = next(ln for ln in f if ln.startswith(field + ':'))
    return int(line.split()[1]) * 1024


class PeakMemory:
    """Peak memory of the ``with`` block above its start, in bytes; None on
    a CPU without a resettable peak resident set (not Linux >= 4.0).

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the process's peak
    resident set (VmHWM of /proc/self/status, reset by writing 5 to
    /proc/self/clear_refs) minus the resident set at the start.
    """
    can_reset_hwm = os.access('/proc/self/clear_refs', os.W_OK)

    def __init__(self, device: torch.device):
        self.device = device
        self.peak = None

    def __enter__(self):
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
        elif self.can_reset_hwm:
            # Freed heap still counts as resident: give it back first.
            getattr(ctypes.CDLL(None), 'malloc_trim', lambda pad: 0)(0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            self.base = _proc_status_bytes('VmRSS')
        return self

    def __exit__(self, *exc):
        if self.device.type == 'cuda':
            peak = torch.cuda.max_memory_allocated(self.device)
            self.peak = peak - self.base
        elif self.can_reset_hwm:
            self.peak = max(_proc_status_bytes('VmHWM') - self.base, 0)


def _seconds(step: Step, device: torch.device) -> float:
    # CUDA runs asynchronously: without the syncs the clock would stop
    # before the work does
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def measure(step: Step,
            device: torch.device,
            memory: bool = True) -> Tuple[float, Optional[float]]:
    """(seconds, peak MiB or None) of one call of ``step``; the peak is None
    without ``memory``, whose reset (a garbage collection, and on the CPU
    the heap given back) would cost the next call its warm allocator."""
    if not memory:
        return _seconds(step, device), None
    with PeakMemory(device) as peak:
        seconds = _seconds(step, device)
    return seconds, (None if peak.peak is None else peak.peak / 2**20)


def interleaved(steps: Sequence[Step],
                device: torch.device,
                warmup: int,
                repeats: int,
                memory: bool = True) -> List[Tuple[float, Optional[float]]]:
    """Medians of (seconds, peak MiB or None) of each step, run in turn:
    ``warmup`` untimed rounds, then ``repeats`` timed ones."""
    for _ in range(warmup):
        for step in steps:
            step()
    runs = [[] for _ in steps]
    for _ in range(repeats):
        for step, run in zip(steps, runs):
            run.append(measure(step, device, memory))
    return [(statistics.median(s for s, _ in run),
             _median_or_none([m for _, m in run])) for run in runs]


def _median_or_none(values: list) -> Optional[float]:
    return None if None in values else statistics.median(values)


def device_name(device: torch.device) -> str:
    """The GPU's name, or 'CPU ' and the processor's model name."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        with open('/proc/cpuinfo') as f:
            line = next(ln for ln in f if ln.startswith('model name'))
        return 'CPU ' + line.split(':', 1)[1].strip()
    except (OSError, StopIteration):
        return 'CPU ' + (platform.processor() or platform.machine())


def run_conditions(device: torch.device) -> str:
    """What the figures depend on besides the code: torch, the device, the
    torch threads and how busy the machine is."""
    return (f'torch {torch.__version__}, {device_name(device)}, threads '
            f'{torch.get_num_threads()}, load average '
            f'{os.getloadavg()[0]:.1f}')


def _fmt(value: Optional[float], spec: str = '.3g') -> str:
    return 'n/a' if value is None else format(value, spec)


def print_table(first: str, peer: str, rows, failed: Sequence[str]) -> None:
    """(name, metric, segplug, peer) ``rows`` as a markdown table with the
    ratios; then exit with an error if any of ``failed`` was not timed."""
    print(f'\n| {first} | metric | segplug | {peer} | segplug/{peer} |')
    print('| --- | --- | --- | --- | --- |')
    for name, metric, ours, theirs in rows:
        ratio = None if ours is None or not theirs else ours / theirs
        print(f'| {name} | {metric} | {_fmt(ours)} | {_fmt(theirs)} | '
              f'{_fmt(ratio, ".3f")} |')
    if failed:
        sys.exit(f'error: outputs differ, not timed: {", ".join(failed)}')


def matmul_peak(dtype: torch.dtype,
                device: torch.device,
                size: int = 2048,
                repeats: int = 3) -> float:
    """The best GFLOP/s of ``repeats`` size^3 matrix products in ``dtype``
    (2 FLOPs per multiply-add): the rate a convolution lowered to a matrix
    product cannot beat at this thread count."""
    a = torch.randn(size, size, device=device).to(dtype)
    best = float('inf')
    a @ a  # kernels chosen, buffers allocated
    for _ in range(repeats):
        best = min(best, _seconds(lambda: a @ a, device))
    return 2 * size**3 / best / 1e9


def forward_flops(module: torch.nn.Module, *inputs) -> float:
    """FLOPs of ``module(*inputs)``, 2 per multiply-add: mmengine's counter
    (the one tools/model_stats.py reports) counts one per multiply-add."""
    from mmengine.analysis import FlopAnalyzer
    with torch.no_grad():
        analyzer = FlopAnalyzer(module, inputs)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return 2.0 * analyzer.total()
