from .dense_crf import DenseCRF, dense_crf
from .permutohedral import PermutohedralLattice

__all__ = ['DenseCRF', 'PermutohedralLattice', 'dense_crf']
