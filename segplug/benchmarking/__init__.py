"""The benchmark tools' harness (``tools/benchmark_*.py``): interleaved
timing, peak memory, tables, sample inputs, the mmseg model pairs;
``import segplug`` does not import this package."""
from .benchmark import (PeakMemory, device_name, forward_flops, interleaved,
                        matmul_peak, measure, print_table, run_conditions)
from .inputs import noisy_probs, sample_photo
from .int8 import (int8_matmul_peak, ort_step, profile_by_op,
                   quantize_for_benchmark)
from .mmseg_pairs import (NUM_CLASSES, PAIRS, amp_name, build_pair,
                          build_shapes_model, forward_step, train_step)

__all__ = [
    'int8_matmul_peak', 'ort_step', 'profile_by_op', 'quantize_for_benchmark',
    'NUM_CLASSES', 'PAIRS', 'PeakMemory', 'build_pair', 'build_shapes_model',
    'device_name', 'forward_flops', 'forward_step', 'interleaved',
    'matmul_peak', 'measure', 'noisy_probs', 'print_table', 'run_conditions',
    'amp_name', 'sample_photo', 'train_step'
]
