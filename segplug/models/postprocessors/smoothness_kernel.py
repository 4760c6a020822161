"""The dense CRF's smoothness kernel: an exact, separable Gaussian over
pixel positions, normalised symmetrically (D^-1/2 G D^-1/2) or by rows
(D^-1 G), D = diag(G 1)."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor


def _gaussian_1d(size: int, std: float, device, dtype) -> Tensor:
    radius = min(int(math.ceil(3 * std)), size - 1)
    t = torch.arange(-radius, radius + 1, dtype=dtype, device=device)
    return torch.exp(-0.5 * (t / std)**2)


# bytes of one row tile of the smoothness filter's intermediates: small
# enough to stay in cache and to be reused by the allocator rather than
# mapped afresh (fresh pages cost more than the convolution on some VMs)
_TILE_BYTES = 4 * 2**20


class SmoothnessKernel:
    """Normalised separable Gaussian over (H, W) on values laid out
    (H*W, C), filtered in tiles of rows. A symmetric kernel with zero
    padding is a symmetric matrix: symmetrically normalised, the filter is
    its own transpose; normalised by rows, its transpose divides before
    filtering instead of after.

    Args:
        normalization (str): 'symmetric' or 'row' (see
            :class:`~.crf_settings.CRFSettings`). Default 'symmetric'.
    """

    def __init__(self,
                 height: int,
                 width: int,
                 channels: int,
                 std: float,
                 device,
                 dtype: torch.dtype = torch.float32,
                 normalization: str = 'symmetric'):
        ky, kx = (_gaussian_1d(height, std, device,
                               dtype), _gaussian_1d(width, std, device, dtype))
        self.size = (height, width)
        self.radius = (ky.numel() // 2, kx.numel() // 2)
        self.ky = ky.view(1, 1, -1, 1).expand(channels, 1, -1, 1).contiguous()
        self.kx = kx.view(1, 1, 1, -1).expand(channels, 1, 1, -1).contiguous()
        # G applied to ones, with zero padding, is separable: the product of
        # the 1-D kernels' sums over the part inside the image
        mass_y = F.conv1d(
            ky.new_ones(1, 1, height),
            ky.view(1, 1, -1),
            padding=self.radius[0]).view(-1, 1)
        mass_x = F.conv1d(
            kx.new_ones(1, 1, width),
            kx.view(1, 1, -1),
            padding=self.radius[1]).view(1, -1)
        norm = (mass_y * mass_x).add_(1e-20).rsqrt_().view(-1, 1)
        self.norm = norm  # the diagonal of D^-1/2
        # (N, 1) scales before and after the Gaussian; None for none
        self.pre, self.post = ((None,
                                norm.square()) if normalization == 'row' else
                               (norm, norm))
        row_bytes = width * channels * ky.element_size()
        self.tile_rows = min(height,
                             max(4 * self.radius[0], _TILE_BYTES // row_bytes))

    def add_to(self, out: Tensor, values: Tensor, weight=1.0) -> None:
        """``out += weight * K values`` with K the normalised kernel; values
        and out (N, C), weight a number."""
        self._filter_into(out, values, self.pre, self.post * weight)

    def _filter_into(self, out: Tensor, values: Tensor, pre, post) -> None:
        """``out += post * G(pre * values)`` (``pre`` None: no scale)."""
        h, w = self.size
        c = values.shape[1]
        ry, rx = self.radius
        values, out = values.view(h, w, c), out.view(h, w, c)
        post = post.view(h, w, 1)
        if pre is not None:
            pre = pre.view(h, w, 1)
        for top in range(0, h, self.tile_rows):
            bottom = min(h, top + self.tile_rows)
            # the tile's rows plus the y kernel's reach (within the image)
            a, b = max(0, top - ry), min(h, bottom + ry)
            # (rows, W, C) is channels-last (1, C, rows, W): depthwise convs
            # run vectorised over the labels without a transpose
            x = values[a:b] if pre is None else values[a:b] * pre[a:b]
            x = x.unsqueeze(0).permute(0, 3, 1, 2)
            x = F.conv2d(x, self.kx, padding=(0, rx), groups=c)
            # zero padding only where the reach leaves the image
            pad = ry if top - a < ry or b - bottom < ry else 0
            x = F.conv2d(x, self.ky, padding=(pad, 0), groups=c)
            first = top - a + pad - ry
            x = x[0, :, first:first + bottom - top].permute(1, 2, 0)
            out[top:bottom].addcmul_(x, post[top:bottom])

    def apply(self, values: Tensor, transpose: bool = False) -> Tensor:
        """``K values`` (N, C) with K the normalised kernel, or with
        ``transpose`` ``K^T values``, in a new tensor."""
        out = torch.zeros_like(values)
        if transpose:
            pre = self.post
            post = (
                torch.ones_like(self.post) if self.pre is None else self.pre)
            self._filter_into(out, values, pre, post)
        else:
            self._filter_into(out, values, self.pre, self.post)
        return out
