"""The benchmark tools' harness (``tools/benchmark_*.py``): interleaved
timing, peak memory, tables, the mmseg model pairs; ``import segplug``
does not import this package."""
from .benchmark import (PeakMemory, device_name, interleaved, measure,
                        print_table, run_conditions)

__all__ = [
    'PeakMemory', 'device_name', 'interleaved', 'measure', 'print_table',
    'run_conditions'
]
