"""Looking at runs after the fact: training curves from mmengine's
scalars and confusion matrices of trained segmentors; ``import segplug``
does not import this package."""
from .confusion import (confusion_matrix, normalize_rows, per_class_accuracy,
                        per_class_iou, per_class_table)
from .evaluation_run import build_segmentor, count_confusion, require_mmseg
from .plots import plot_confusion_matrix, plot_curves
from .scalars import (RunScalars, find_scalars_files, group_scalars, load_run,
                      read_scalars_lines, select_keys)

__all__ = [
    'RunScalars', 'build_segmentor', 'confusion_matrix', 'count_confusion',
    'find_scalars_files', 'group_scalars', 'load_run', 'normalize_rows',
    'per_class_accuracy', 'per_class_iou', 'per_class_table',
    'plot_confusion_matrix', 'plot_curves', 'read_scalars_lines',
    'require_mmseg', 'select_keys'
]
