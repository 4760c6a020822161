"""Helpers for the tools; ``import segplug`` does not import this package."""
from .benchmark import (PeakMemory, device_name, interleaved, measure,
                        print_table, run_conditions)
from .progress import progress

__all__ = [
    'PeakMemory', 'device_name', 'interleaved', 'measure', 'print_table',
    'progress', 'run_conditions'
]
