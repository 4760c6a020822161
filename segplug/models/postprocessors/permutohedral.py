"""The permutohedral lattice of Adams, Baek and Davis (2010), in PyTorch.

`Fast High-Dimensional Filtering Using the Permutohedral Lattice
<https://graphics.stanford.edu/papers/permutohedral/>`_. Filtering N points
with d-dimensional features by a Gaussian of unit standard deviation is
split into three linear maps: *splat* each point onto the d+1 vertices of
the lattice simplex that encloses it (barycentric weights), *blur* the
lattice with a [1/2, 1, 1/2] kernel along each of its d+1 axes, and *slice*
the blurred vertices back at the points. Splat and slice are sparse
matrices built once per feature set; the blur gathers neighbour rows. The
lattice is laid out as in Krähenbühl's dense CRF code (the same elevation,
rounding, tie order and scaling), so both approximate the Gaussian the same
way; only the order of floating-point sums differs.

Everything is plain tensor operations and runs unchanged on CPU and CUDA.
"""
import math
import warnings
from typing import List, Optional

import numpy as np
import torch
from torch import Tensor

# int64 headroom for packing a vertex key into one integer
_MAX_PACKED = 2**62


class PermutohedralLattice:
    """A lattice for the features ``(N, d)`` (already divided by their
    standard deviations); :meth:`filter` applies the Gaussian to values
    ``(N, C)`` of the same points.

    Args:
        features (Tensor): float (N, d), d >= 1.
    """

    def __init__(self, features: Tensor):
        if features.dim() != 2 or features.shape[1] < 1:
            raise ValueError('PermutohedralLattice: expected features of '
                             f'shape (N, d), got {tuple(features.shape)}')
        n, d = features.shape
        dp1 = d + 1
        device = features.device
        self.num_points, self.dim = n, d
        feats = features.float().t().contiguous()  # (d, N): one row each

        # Elevate onto the hyperplane sum(x) = 0 of R^(d+1), scaled so
        # that the blur below has unit standard deviation (p. 5-6); the
        # sums run in the reference's order.
        elevated = feats.new_empty(dp1, n)
        inv_std = float(torch.tensor(math.sqrt(2.0 / 3.0) * dp1))  # float32
        tail = feats.new_zeros(n)
        for j in range(d, 0, -1):
            scale = 1.0 / math.sqrt(j * (j + 1)) * inv_std
            cf = feats[j - 1] * scale
            elevated[j] = tail - j * cf
            tail = tail + cf
        elevated[0] = tail

        # The nearest remainder-0 point, then the simplex from the order of
        # the residuals: rank = how many coordinates are larger (ties: the
        # later coordinate ranks lower, as in the reference).
        down = 1.0 / dp1
        rounded = torch.round(elevated * down)
        rem0 = rounded * dp1
        resid = elevated - rem0
        rank = torch.zeros(dp1, n, dtype=torch.int16, device=device)
        for i in range(d):
            for j in range(i + 1, dp1):
                smaller = resid[i] < resid[j]
                rank[i] += smaller
                rank[j] += ~smaller
        rank = rank.long() + rounded.sum(0).long()
        wrap = (rank < 0).long() - (rank > d).long()
        rank += dp1 * wrap
        rem0 += dp1 * wrap

        # Barycentric weights of the d+1 vertices (p. 10).
        v = (elevated - rem0) * down
        bary = v.new_zeros(d + 2, n)
        bary.scatter_add_(0, d - rank, v)
        bary.scatter_add_(0, d - rank + 1, -v)
        bary[0] += 1.0 + bary[d + 1]
        bary = bary[:dp1].t().reshape(-1)  # point-major, d+1 per point

        # Vertex r of the simplex has the lattice key rem0 + canonical[r,
        # rank] with canonical[r, j] = r - (d+1) [j > d - r]. Keys are
        # packed into one int64 each (mixed radix); packing is linear, so
        # the canonical offsets add up per point.
        rem0 = rem0[:d].long()
        strides = _strides(rem0, d)
        lows = rem0.amin(1) - 2 * dp1
        base = torch.zeros(n, dtype=torch.long, device=device)
        for k, stride in enumerate(strides.tolist()):
            base += (rem0[k] - lows[k]) * stride
        steps = torch.zeros(d + 2, n, dtype=torch.long, device=device)
        steps.scatter_add_(0, d + 1 - rank[:d], strides[:, None].expand(d, n))
        r = torch.arange(dp1, device=device)
        packed = (base[:, None] + r * int(strides.sum()) -
                  dp1 * steps.cumsum(0)[:dp1].t())  # (N, d+1)
        sorted_keys, perm = torch.sort(packed.view(-1), stable=True)
        new = torch.ones_like(sorted_keys, dtype=torch.bool)
        new[1:] = sorted_keys[1:] != sorted_keys[:-1]
        starts = new.nonzero().view(-1)
        uniq = sorted_keys[starts]
        m = uniq.numel()
        self.num_vertices = m
        # CSR indices in int32 where they fit (what MKL takes)
        index = torch.int32 if n * dp1 < 2**31 else torch.long
        perm = perm.to(index)
        offsets = torch.empty_like(perm)
        offsets[perm] = new.to(index).cumsum(0, dtype=index) - 1

        # Slice (N, M): d+1 weights per point; the 1/(1 + 2^-d) scale
        # makes the sliced result match the Gaussian's peak. Splat (M, N)
        # is its unscaled transpose, rows grouped by vertex.
        alpha = 1.0 / (1.0 + 2.0**-d)
        crow = torch.full((m + 1, ), n * dp1, dtype=index, device=device)
        crow[:m] = starts
        with warnings.catch_warnings():
            # torch notes that sparse CSR is in beta; the layout is built
            # valid by construction, so its checks are off
            warnings.simplefilter('ignore', UserWarning)
            self._slice = torch.sparse_csr_tensor(
                torch.arange(0, n * dp1 + 1, dp1, device=device,
                             dtype=index),
                offsets,
                bary * alpha, (n, m),
                check_invariants=False)
            self._splat = torch.sparse_csr_tensor(
                crow, perm // dp1,
                bary[perm], (m, n),
                check_invariants=False)

        # Blur neighbours along each axis j: key -1 everywhere except
        # +d at j (and its opposite); m (a zero row) where absent.
        self._neighbours: List[Tensor] = []
        for j in range(dp1):
            step = torch.full((d, ), -1, dtype=torch.long, device=device)
            if j < d:
                step[j] = d
            delta = int((step * strides).sum())
            pair = []
            for nb in (uniq + delta, uniq - delta):
                pos = _searchsorted(uniq, nb).clamp_(max=m - 1)
                pair.append(torch.where(uniq[pos] == nb, pos, m))
            self._neighbours.append(torch.cat(pair))
        self._work = None

    def filter(self,
               values: Tensor,
               out: Optional[Tensor] = None,
               add: Optional[Tensor] = None) -> Tensor:
        """Gaussian-filter ``values`` (N, C) over the features; (N, C),
        plus ``add`` (N, C) when given (in the same pass), written to
        ``out`` when given."""
        if values.dim() != 2 or values.shape[0] != self.num_points:
            raise ValueError(
                f'PermutohedralLattice.filter: expected values of shape '
                f'({self.num_points}, C), got {tuple(values.shape)}')
        c = values.shape[1]
        m = self.num_vertices
        if self._work is None or self._work[0].shape[1] != c:
            # row m stays zero: the value of absent neighbours
            self._work = (values.new_zeros(m + 1, c, dtype=torch.float32),
                          values.new_zeros(m + 1, c, dtype=torch.float32),
                          values.new_empty(2 * m, c, dtype=torch.float32))
        lattice, spare, both = self._work
        torch.mm(self._splat, values.float(), out=lattice[:m])
        for pair in self._neighbours:
            torch.index_select(lattice, 0, pair, out=both)
            torch.add(both[:m], both[m:], out=both[:m])
            torch.add(lattice[:m], both[:m], alpha=0.5, out=spare[:m])
            lattice, spare = spare, lattice
        if add is None:
            return torch.mm(self._slice, lattice[:m], out=out)
        return torch.addmm(add, self._slice, lattice[:m], out=out)

    def normalize_(self, weight: float = 1.0) -> Tensor:
        """Make :meth:`filter` compute ``weight * D K D x`` with D =
        diag(1 / sqrt(K 1)), the symmetric normalisation of the dense CRF
        code, by scaling the splat and slice weights in place (no cost per
        filtering). Returns the diagonal of D as (N, 1)."""
        norm = self.filter(self._splat.values().new_ones(
            self.num_points, 1)).add_(1e-20).rsqrt_()
        self._slice.values().view(self.num_points, -1).mul_(norm * weight)
        points = self._splat.col_indices().long()
        self._splat.values().mul_(norm.view(-1)[points])
        return norm


def _searchsorted(sorted_keys: Tensor, queries: Tensor) -> Tensor:
    """torch.searchsorted; numpy's on the CPU, which is about 3x faster on
    sorted queries (it starts each search from the last result)."""
    if sorted_keys.device.type != 'cpu':
        return torch.searchsorted(sorted_keys, queries)
    return torch.from_numpy(
        np.searchsorted(sorted_keys.numpy(), queries.numpy()))


def _strides(rem0: Tensor, d: int) -> Tensor:
    """Mixed-radix strides over the first d lattice coordinates, with room
    for every vertex (rem0 - (d+1) .. rem0 + d) and its blur neighbours
    (another d+1 either way)."""
    extent = rem0.amax(1) - rem0.amin(1) + 4 * (d + 1) + 1
    strides, total = [], 1
    for e in extent.tolist():
        strides.append(total)
        total *= e
    if total >= _MAX_PACKED:
        raise ValueError('PermutohedralLattice: features span too many '
                         'lattice cells to index; expected a smaller range '
                         'or larger standard deviations')
    return torch.tensor(strides, dtype=torch.long, device=rem0.device)
