"""RoIAlign as a weighted gather (``embedding_bag``), for the CPU.

mmcv's CPU RoIAlign walks RoIs, bins and channels one at a time; in
training its backward alone is about a quarter of a small Mask R-CNN's
step. Here the bilinear sample points of every bin are computed at once,
per axis, and each output bin is one weighted sum of feature rows: forward
is ``embedding_bag`` over the channels-last feature map and backward its
transpose (the same gather over the taps sorted by feature row), both
vectorised over channels.

The sampling follows mmcv's ``RoIAlign`` (``pool_mode='avg'``) exactly:
the same bin grid (``sampling_ratio`` samples per bin side, or
``ceil(roi size / output size)`` when it is 0), the half-pixel offset when
``aligned``, samples beyond one pixel outside the map counted as zero, and
samples at the border clamped to it. As in mmcv, no gradient flows to the
RoI coordinates.
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class _WeightedGather(torch.autograd.Function):
    """``out[r] = sum_t weight[r, t] * table[index[r, t]]``.

    The backward is the same gather on the transposed taps (sorted by
    table row), several times faster on the CPU than ``embedding_bag``'s
    own backward.
    """

    @staticmethod
    def forward(ctx, table: Tensor, index: Tensor, weight: Tensor):
        ctx.save_for_backward(index, weight)
        ctx.rows = table.size(0)
        return F.embedding_bag(
            index, table, per_sample_weights=weight, mode='sum')

    @staticmethod
    def backward(ctx, grad: Tensor):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        index, weight = ctx.saved_tensors
        flat = index.reshape(-1)
        order = flat.argsort()
        counts = torch.bincount(flat, minlength=ctx.rows)
        grad_table = F.embedding_bag(
            torch.div(order, index.size(1), rounding_mode='floor'),
            grad.contiguous(),
            counts.cumsum(0) - counts,
            per_sample_weights=weight.reshape(-1)[order],
            mode='sum')
        return grad_table, None, None


def _axis_samples(start: Tensor, size: Tensor, bins: int, grid: Tensor,
                  max_grid: int, length: int):
    """Bilinear taps along one axis for every RoI, bin and grid sample.

    Returns ``(index, weight)``, each (K, bins, max_grid, 2): the two
    neighbouring feature rows (or columns) and their weights; samples past
    a RoI's own grid and points outside the map weigh 0.
    """
    bin_size = size / bins
    step = bin_size / grid.clamp(min=1)
    p = torch.arange(bins, device=start.device, dtype=start.dtype)
    s = torch.arange(max_grid, device=start.device, dtype=start.dtype)
    pos = (
        start[:, None, None] + p[None, :, None] * bin_size[:, None, None] +
        (s[None, None, :] + 0.5) * step[:, None, None])
    inside = (pos >= -1.0) & (pos <= length)
    inside &= s[None, None, :] < grid[:, None, None]
    pos = pos.clamp(min=0)
    low = pos.floor()
    at_edge = low >= length - 1
    low = torch.where(at_edge, torch.full_like(low, length - 1), low)
    pos = torch.where(at_edge, low, pos)
    frac = pos - low
    low = low.long()
    high = torch.where(at_edge, low, low + 1)
    index = torch.stack([low, high], -1)
    weight = torch.stack([1 - frac, frac], -1) * inside[..., None]
    return index, weight


def gather_roi_align(features: Tensor,
                     rois: Tensor,
                     output_size: Union[int, Tuple[int, int]],
                     spatial_scale: float = 1.0,
                     sampling_ratio: int = 0,
                     aligned: bool = True) -> Tensor:
    """Average RoIAlign of ``rois`` (K, 5: batch index, x1, y1, x2, y2 in
    input coordinates) on ``features`` (N, C, H, W): (K, C, oh, ow)."""
    oh, ow = ((output_size, output_size)
              if isinstance(output_size, int) else tuple(output_size))
    if rois.dim() != 2 or rois.size(1) != 5:
        raise ValueError('gather_roi_align: rois must be (K, 5) [batch '
                         f'index, x1, y1, x2, y2], got {tuple(rois.shape)}')
    n, c, h, w = features.shape
    k = rois.size(0)
    if k == 0:
        return features.new_zeros((0, c, oh, ow))
    with torch.no_grad():
        boxes = rois[:, 1:].float() * spatial_scale - (0.5 if aligned else 0)
        x1, y1, x2, y2 = boxes.unbind(1)
        width, height = x2 - x1, y2 - y1
        if not aligned:
            width, height = width.clamp(min=1), height.clamp(min=1)
        if sampling_ratio > 0:
            grid_y = torch.full_like(height, sampling_ratio)
            grid_x = torch.full_like(width, sampling_ratio)
        else:
            grid_y = (height / oh).ceil().clamp(min=0)
            grid_x = (width / ow).ceil().clamp(min=0)
        gy = max(int(grid_y.max()), 1)
        gx = max(int(grid_x.max()), 1)
        iy, wy = _axis_samples(y1, height, oh, grid_y, gy, h)
        ix, wx = _axis_samples(x1, width, ow, grid_x, gx, w)
        count = (grid_y * grid_x).clamp(min=1)
        # (K, oh, ow, gy, gx, 2, 2): rows times columns of every tap
        base = rois[:, 0].long() * (h * w)
        index = (
            base[:, None, None, None, None, None, None] +
            iy[:, :, None, :, None, :, None] * w +
            ix[:, None, :, None, :, None, :])
        weight = (
            wy[:, :, None, :, None, :, None] *
            wx[:, None, :, None, :, None, :] /
            count[:, None, None, None, None, None, None])
        taps = gy * gx * 4
        # int32 where it fits: the backward's sort takes a third of the time
        index = index.reshape(k * oh * ow, taps)
        if n * h * w < 2**31:
            index = index.int()
        weight = weight.reshape(k * oh * ow, taps).to(features.dtype)
    table = features.permute(0, 2, 3, 1).reshape(n * h * w, c)
    out = _WeightedGather.apply(table, index, weight)
    return out.view(k, oh, ow, c).permute(0, 3, 1, 2).contiguous()


class GatherRoIAlign(nn.Module):
    """``mmcv.ops.RoIAlign``'s interface (average pooling only) on
    :func:`gather_roi_align`."""

    def __init__(self,
                 output_size,
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = 0,
                 pool_mode: str = 'avg',
                 aligned: bool = True,
                 use_torchvision: bool = False):
        super().__init__()
        if pool_mode != 'avg':
            raise ValueError(f"GatherRoIAlign: pool_mode='{pool_mode}' is "
                             "not supported; use 'avg' or mmdet's "
                             'SingleRoIExtractor')
        if use_torchvision:
            raise ValueError('GatherRoIAlign: use_torchvision=True is not '
                             'supported')
        if int(sampling_ratio) != sampling_ratio or sampling_ratio < 0:
            raise ValueError('GatherRoIAlign: sampling_ratio must be an '
                             f'integer >= 0, got {sampling_ratio}')
        self.output_size = ((output_size, output_size) if isinstance(
            output_size, int) else tuple(output_size))
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.aligned = aligned

    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        return gather_roi_align(features, rois, self.output_size,
                                self.spatial_scale, self.sampling_ratio,
                                self.aligned)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale='
                f'{self.spatial_scale}, sampling_ratio={self.sampling_ratio}'
                f', aligned={self.aligned}')
