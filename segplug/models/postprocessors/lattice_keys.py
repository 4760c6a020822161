"""Integer keys of permutohedral lattice points, for sorting and search."""
import math
from typing import List, Tuple

import torch
from torch import Tensor

# int64 headroom for packing a vertex key into one integer, and the key
# range that int32 keys (a faster sort) take
_MAX_PACKED = 2**62
_INT32_KEYS = 2**31


class LatticeKeys:
    """One integer key per lattice point, linear in its coordinates and
    dense enough for int32 on typical images.

    Lattice points have all coordinates congruent modulo d+1, so the first
    d coordinates c are mapped to integers z with z_p = c_p and z_i = (c_i -
    c_p) / (d+1) for a pivot p (a basis of the lattice), and packed in mixed
    radix. Packing all d coordinates directly would waste a factor d+1 in
    every coordinate but the first. The pivot is the coordinate that gives
    the smallest key range. Each digit has room for every vertex and its
    blur neighbours around ``rem0``, the remainder-0 points (d, N).

    Attributes:
        base (Tensor): The key of each point's remainder-0 vertex (N,).
        drops (Tensor): The key's change when coordinate i drops by d+1
            (a canonical offset), (d,).
        raise_all (int): The key's change when all coordinates rise by one.
        dtype (torch.dtype): int32 where the key range fits, else int64.
    """

    def __init__(self, rem0: Tensor, d: int):
        self.dim = d
        total, self.pivot, offset, extent = self._packing(rem0)
        if total >= _MAX_PACKED:
            raise ValueError('PermutohedralLattice: features span too many '
                             'lattice cells to index; expected a smaller '
                             'range or larger standard deviations')
        self.dtype = torch.int32 if total < _INT32_KEYS else torch.long
        self.strides = [math.prod(extent[:i]) for i in range(d)]
        self.base = self._base_keys(rem0, offset)
        dp1 = d + 1
        drops = [
            self.change([-dp1 if k == i else 0 for k in range(d)])
            for i in range(d)
        ]
        self.drops = torch.tensor(drops, dtype=torch.long, device=rem0.device)
        self.raise_all = self.change([1] * d)

    def _packing(self, rem0: Tensor) -> Tuple[int, int, List[int], List[int]]:
        """(key range, pivot, digit offsets, digit extents) of the first
        pivot whose range fits int32, else of the smallest range."""
        d, dp1 = self.dim, self.dim + 1
        lows, highs = rem0.amin(1).tolist(), rem0.amax(1).tolist()
        best = None
        for p in range(d):
            # digit ranges: z_p = c_p; the others from the exact range of
            # c_i - c_p (correlated coordinates give small ones)
            diff = rem0 - rem0[p]
            z_lows = [v // dp1 for v in diff.amin(1).tolist()]
            z_highs = [v // dp1 for v in diff.amax(1).tolist()]
            z_lows[p], z_highs[p] = lows[p], highs[p]
            # z_p moves by at most d (vertex) plus d+1 (neighbour), the
            # others by one each
            margin = [2 * dp1 if i == p else 2 for i in range(d)]
            extent = [
                hi - lo + 2 * mg + 1
                for lo, hi, mg in zip(z_lows, z_highs, margin)
            ]
            offset = [lo - mg for lo, mg in zip(z_lows, margin)]
            total = math.prod(extent)
            if best is None or total < best[0]:
                best = (total, p, offset, extent)
            if total < _INT32_KEYS:
                break
        return best

    def _base_keys(self, rem0: Tensor, offset: List[int]) -> Tensor:
        """key = sum_i (z_i - offset_i) stride_i, as one exact division:
        (d+1) z_i = c_i - c_p for i != p."""
        p, strides, dp1 = self.pivot, self.strides, self.dim + 1
        coef = list(strides)
        coef[p] = dp1 * strides[p] - (sum(strides) - strides[p])
        scaled = rem0[0] * coef[0]
        for i in range(1, self.dim):
            scaled += rem0[i] * coef[i]
        shift = sum(o * st for o, st in zip(offset, strides))
        return scaled.div_(dp1, rounding_mode='floor').sub_(shift)

    def change(self, step: List[int]) -> int:
        """The key's change for a lattice vector ``step`` (d ints)."""
        p = self.pivot
        dz = [(s - step[p]) // (self.dim + 1) for s in step]
        dz[p] = step[p]
        return sum(a * b for a, b in zip(dz, self.strides))
