from .crf_as_rnn import CRFAsRNN
from .dense_crf import DenseCRF, dense_crf, dense_crf_bytes
from .mean_field import CRFKernels, mean_field
from .permutohedral import PermutohedralLattice

__all__ = [
    'CRFAsRNN', 'CRFKernels', 'DenseCRF', 'PermutohedralLattice', 'dense_crf',
    'dense_crf_bytes', 'mean_field'
]
