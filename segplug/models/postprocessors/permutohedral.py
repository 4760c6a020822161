"""The permutohedral lattice of Adams, Baek and Davis (2010), in PyTorch.

`Fast High-Dimensional Filtering Using the Permutohedral Lattice
<https://graphics.stanford.edu/papers/permutohedral/>`_. Filtering N points
with d-dimensional features by a Gaussian of unit standard deviation is
split into three linear maps: *splat* each point onto the d+1 vertices of
the lattice simplex that encloses it (barycentric weights), *blur* the
lattice with a [1/2, 1, 1/2] kernel along each of its d+1 axes, and *slice*
the blurred vertices back at the points. All three are weighted gathers
(``embedding_bag``) whose indices and weights are built once per feature
set. The
lattice is laid out as in Krähenbühl's dense CRF code (the same elevation,
rounding, tie order and scaling), so both approximate the Gaussian the same
way; only the order of floating-point sums differs.

Everything is plain tensor operations and runs unchanged on CPU and CUDA.
"""
import math
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .lattice_keys import LatticeKeys

# bytes of one chunk of sliced values (see filter)
_CHUNK_BYTES = 4 * 2**20


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
        self.num_points, self.dim = features.shape
        # indices in int32 where they fit (halves the index traffic)
        entries = self.num_points * (self.dim + 1)
        self._index_dtype = torch.int32 if entries < 2**31 else torch.long
        elevated = self._elevate(features.float().t().contiguous())
        rem0, rank = self._enclosing_simplex(elevated)
        bary = self._barycentric_weights(elevated, rem0, rank)
        keys = LatticeKeys(rem0[:self.dim].long(), self.dim)
        uniq, perm, starts, vertex = self._number_vertices(
            self._vertex_keys(keys, rank))
        self.num_vertices = uniq.numel()
        self._set_slice_and_splat(bary, vertex, perm, starts)
        self._blur = self._blur_bags(*self._neighbours(keys, uniq))

    def _elevate(self, feats: Tensor) -> Tensor:
        """``feats`` (d, N), one row each, on the hyperplane sum(x) = 0 of
        R^(d+1): (d+1, N), scaled so that the blur has unit standard
        deviation (p. 5-6); the sums run in the reference's order."""
        d, n = feats.shape
        elevated = feats.new_empty(d + 1, n)
        # rounded to float32, as the reference's float is
        inv_std = float(torch.tensor(math.sqrt(2.0 / 3.0) * (d + 1)))
        tail = feats.new_zeros(n)
        for j in range(d, 0, -1):
            scale = 1.0 / math.sqrt(j * (j + 1)) * inv_std
            cf = feats[j - 1] * scale
            elevated[j] = tail - j * cf
            tail = tail + cf
        elevated[0] = tail
        return elevated

    def _enclosing_simplex(self, elevated: Tensor):
        """(rem0, rank), each (d+1, N): the nearest remainder-0 point, then
        the simplex from the order of the residuals: rank = how many
        coordinates are larger (ties: the later coordinate ranks lower, as
        in the reference)."""
        d = self.dim
        dp1 = d + 1
        rounded = torch.round(elevated * (1.0 / dp1))
        rem0 = rounded * dp1
        resid = elevated - rem0
        rank = torch.zeros(
            dp1, elevated.shape[1], dtype=torch.int16, device=elevated.device)
        for i in range(d):
            for j in range(i + 1, dp1):
                smaller = resid[i] < resid[j]
                rank[i] += smaller
                rank[j] += ~smaller
        rank = rank.long() + rounded.sum(0).long()
        wrap = (rank < 0).long() - (rank > d).long()
        rank += dp1 * wrap
        rem0 += dp1 * wrap
        return rem0, rank

    def _barycentric_weights(self, elevated: Tensor, rem0: Tensor,
                             rank: Tensor) -> Tensor:
        """(d+1, N): the weight of vertex r of each point's simplex (p. 10).
        """
        d = self.dim
        v = (elevated - rem0) * (1.0 / (d + 1))
        bary = v.new_zeros(d + 2, v.shape[1])
        bary.scatter_add_(0, d - rank, v)
        bary.scatter_add_(0, d - rank + 1, -v)
        bary[0] += 1.0 + bary[d + 1]
        return bary[:d + 1]

    def _vertex_keys(self, keys: LatticeKeys, rank: Tensor) -> Tensor:
        """The key of vertex r of every point, entry r * N + point.

        Vertex r of the simplex is rem0 + canonical[r, rank] with
        canonical[r, j] = r - (d+1) [j > d - r], i.e. rem0 + r, less d+1 on
        the coordinates with rank > d - r. Keys are linear in the
        coordinates (see LatticeKeys), so these offsets add up per point.
        """
        d, n = self.dim, self.num_points
        steps = torch.zeros(d + 2, n, dtype=torch.long, device=rank.device)
        steps.scatter_add_(0, d + 1 - rank[:d], keys.drops[:,
                                                           None].expand(d, n))
        packed = steps.cumsum_(0)[:d + 1]
        packed += keys.base
        packed += (torch.arange(d + 1, device=rank.device) *
                   keys.raise_all)[:, None]
        return packed.view(-1).to(keys.dtype)

    def _number_vertices(self, packed: Tensor):
        """(unique keys sorted, the sort's permutation of ``packed``, where
        each unique key starts in it, the vertex number of each entry)."""
        sorted_keys, perm = torch.sort(packed, stable=True)
        new = torch.ones_like(sorted_keys, dtype=torch.bool)
        new[1:] = sorted_keys[1:] != sorted_keys[:-1]
        starts = new.nonzero().view(-1)
        uniq = sorted_keys.index_select(0, starts)
        index = self._index_dtype
        vertex = torch.empty(packed.numel(), dtype=index, device=packed.device)
        vertex.scatter_(0, perm, new.cumsum(0, dtype=index).sub_(1))
        return uniq, perm, starts, vertex

    def _set_slice_and_splat(self, bary: Tensor, vertex: Tensor, perm: Tensor,
                             starts: Tensor) -> None:
        """The indices and weights of slice and splat.

        All three maps are weighted gathers, run by embedding_bag (a fused
        gather and weighted sum per output row). Slice (N from M): the d+1
        vertices of each point; the 1/(1 + 2^-d) scale makes the sliced
        result match the Gaussian's peak. Splat (M from N): its unscaled
        transpose, one bag of points per vertex (the sorted order groups
        them).
        """
        d, n = self.dim, self.num_points
        alpha = 1.0 / (1.0 + 2.0**-d)
        self._slice_index = vertex.view(d + 1, n).t().contiguous()
        self._slice_weight = (bary * alpha).t().contiguous()
        self._splat_weight = bary.reshape(-1).index_select(0, perm)
        # kept for the transpose's weights (see _transpose_weights)
        self._perm = perm.to(self._index_dtype)
        self._splat_index = self._perm.remainder(n)
        self._splat_offsets = starts.to(self._index_dtype)
        self._transposed = None

    def _neighbours(self, keys: LatticeKeys, uniq: Tensor):
        """(pos, found), each (d+1, M): for each axis j and vertex, where in
        ``uniq`` its neighbour along j (key -1 everywhere except +d at j)
        is, and whether the lattice has it."""
        d = self.dim
        deltas = []
        for j in range(d + 1):
            step = [-1] * d
            if j < d:
                step[j] = d
            deltas.append(keys.change(step))
        query = uniq + torch.tensor(
            deltas, dtype=uniq.dtype, device=uniq.device)[:, None]
        pos = _searchsorted(uniq, query).clamp_(max=uniq.numel() - 1)
        found = uniq.index_select(0, pos.view(-1)).view_as(pos) == query
        return pos, found

    def _blur_bags(self, pos: Tensor, found: Tensor) -> list:
        """(index, weight) per axis, each (M, 3): a vertex plus half of each
        neighbour along the axis, the one at ``pos`` and the opposite one,
        which is found as the inverse of the first relation. Absent
        neighbours get weight 0 (and their own index)."""
        dp1, m = pos.shape
        device, index = pos.device, self._index_dtype
        own = torch.arange(m, dtype=index, device=device)
        bag_index = torch.empty(dp1, m, 3, dtype=index, device=device)
        bag_weight = torch.empty(dp1, m, 3, device=device)
        bag_index[..., 0] = own
        bag_weight[..., 0] = 1.0
        bag_index[..., 1] = torch.where(found, pos, own)
        bag_weight[..., 1] = found * 0.5
        # the vertex found at pos has this one opposite; the others write
        # to a spare last slot
        slot = torch.where(
            found, pos + torch.arange(0, dp1 * m, m, device=device)[:, None],
            dp1 * m).view(-1)
        opposite = own.repeat(dp1 + 1)[:dp1 * m + 1]
        opposite.scatter_(0, slot, own.repeat(dp1))
        bag_index[..., 2] = opposite[:-1].view(dp1, m)
        weight = bag_weight.new_zeros(dp1 * m + 1).scatter_(0, slot, 0.5)
        bag_weight[..., 2] = weight[:-1].view(dp1, m)
        return list(zip(bag_index, bag_weight))

    def filter(self,
               values: Tensor,
               out: Optional[Tensor] = None,
               add: Optional[Tensor] = None,
               transpose: bool = False) -> Tensor:
        """Gaussian-filter ``values`` (N, C) over the features; (N, C),
        plus ``add`` (N, C) when given, written to ``out`` when given.

        The filter is the linear map ``slice B_d ... B_0 splat``. Slice
        and splat gather over the same (point, vertex) pairs, and each axis
        blur ``B_j`` is symmetric (a vertex takes half of each neighbour
        along axis j, and is that neighbour's neighbour), so the transpose
        is the same filter with the blurs in the opposite order and the
        slice and splat weights swapped. ``transpose=True`` applies it: the
        filter's backward pass. Up to the weights' rounding the slice
        weights are the splat weights scaled, and on the full lattice the
        blurs commute, so the two filters are nearly the same; the
        transpose is exact.
        """
        if values.dim() != 2 or values.shape[0] != self.num_points:
            raise ValueError(
                f'PermutohedralLattice.filter: expected values of shape '
                f'({self.num_points}, C), got {tuple(values.shape)}')
        splat_weight, slice_weight = ((self._splat_weight,
                                       self._slice_weight) if not transpose
                                      else self._transpose_weights())
        lattice = F.embedding_bag(
            self._splat_index,
            values.to(self.dtype).contiguous(),
            self._splat_offsets,
            mode='sum',
            per_sample_weights=splat_weight)
        for bag_index, bag_weight in (self._blur[::-1]
                                      if transpose else self._blur):
            lattice = F.embedding_bag(
                bag_index, lattice, mode='sum', per_sample_weights=bag_weight)
        if add is None:
            result = self._slice(lattice, 0, self.num_points, slice_weight)
            return result if out is None else out.copy_(result)
        if out is None:
            out = torch.empty_like(add)
        # in chunks of points: the slice's output is the largest array, and
        # small ones are reused by the allocator rather than mapped afresh
        step = max(1,
                   _CHUNK_BYTES // (lattice.element_size() * lattice.shape[1]))
        for start in range(0, self.num_points, step):
            stop = min(self.num_points, start + step)
            torch.add(
                self._slice(lattice, start, stop, slice_weight),
                add[start:stop],
                out=out[start:stop])
        return out

    def _slice(self, lattice: Tensor, start: int, stop: int,
               weight: Tensor) -> Tensor:
        return F.embedding_bag(
            self._slice_index[start:stop],
            lattice,
            mode='sum',
            per_sample_weights=weight[start:stop])

    def _transpose_weights(self):
        """(splat, slice) weights of the transpose: the slice weights in
        splat order and the splat weights in slice layout; made once."""
        if self._transposed is None:
            perm = self._perm.long()
            splat = self._slice_weight.t().reshape(-1).index_select(0, perm)
            flat = torch.empty_like(self._splat_weight).index_copy_(
                0, perm, self._splat_weight)
            slice_ = flat.view(self.dim + 1, self.num_points).t().contiguous()
            self._transposed = (splat, slice_)
        return self._transposed

    @property
    def dtype(self) -> torch.dtype:
        """The dtype :meth:`filter` computes in (float32 unless
        :meth:`to_` changed it)."""
        return self._slice_weight.dtype

    def to_(self, dtype: torch.dtype) -> 'PermutohedralLattice':
        """Compute :meth:`filter` in ``dtype`` (e.g. float64 for gradcheck);
        the lattice itself (vertices, weights) is built in float32, as the
        reference builds it. Returns self."""
        self._slice_weight = self._slice_weight.to(dtype)
        self._splat_weight = self._splat_weight.to(dtype)
        self._transposed = None
        self._blur = [(index, weight.to(dtype))
                      for index, weight in self._blur]
        return self

    def normalize_(self,
                   weight: float = 1.0,
                   normalization: str = 'symmetric') -> Tensor:
        """Make :meth:`filter` compute ``weight * D K D x`` with D =
        diag(1 / sqrt(K 1)), the symmetric normalisation of the dense CRF
        code, or with ``normalization='row'`` ``weight * D^2 K x``, each
        output divided by its row's sum (the CRF-as-RNN authors' code), by
        scaling the slice (and, symmetric, splat) weights in place: no
        cost per filtering. Returns the diagonal of D as (N, 1)."""
        norm = self.filter(self._slice_weight.new_ones(
            self.num_points, 1)).add_(1e-20).rsqrt_()
        if normalization == 'row':
            self._slice_weight.mul_(norm.square() * weight)
        else:
            self._slice_weight.mul_(norm * weight)
            self._splat_weight.mul_(norm.view(-1)[self._splat_index.long()])
        self._transposed = None
        return norm


def _searchsorted(sorted_keys: Tensor, queries: Tensor) -> Tensor:
    """torch.searchsorted; numpy's on the CPU, which is about 3x faster on
    sorted queries (it starts each search from the last result)."""
    if sorted_keys.device.type != 'cpu':
        return torch.searchsorted(sorted_keys, queries)
    return torch.from_numpy(
        np.searchsorted(sorted_keys.numpy(), queries.numpy()))
