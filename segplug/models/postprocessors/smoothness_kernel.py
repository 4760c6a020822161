"""The dense CRF's smoothness kernel: an exact, separable Gaussian over
pixel positions, symmetrically normalised."""
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
    """Symmetrically normalised separable Gaussian over (H, W) on values
    laid out (H*W, C), filtered in tiles of rows. A symmetric kernel with
    zero padding is a symmetric matrix: the filter is its own transpose."""

    def __init__(self,
                 height: int,
                 width: int,
                 channels: int,
                 std: float,
                 device,
                 dtype: torch.dtype = torch.float32):
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
        self.norm = (mass_y * mass_x).add_(1e-20).rsqrt_().view(-1, 1)
        row_bytes = width * channels * ky.element_size()
        self.tile_rows = min(height,
                             max(4 * self.radius[0], _TILE_BYTES // row_bytes))

    def add_to(self, out: Tensor, values: Tensor, weight: Tensor) -> None:
        """``out += weight * G(norm * values)``; values and out (N, C),
        weight (N, 1) (``pos_weight * norm`` for the normalised kernel)."""
        h, w = self.size
        c = values.shape[1]
        ry, rx = self.radius
        values, out = values.view(h, w, c), out.view(h, w, c)
        norm, weight = self.norm.view(h, w, 1), weight.view(h, w, 1)
        for top in range(0, h, self.tile_rows):
            bottom = min(h, top + self.tile_rows)
            # the tile's rows plus the y kernel's reach (within the image)
            a, b = max(0, top - ry), min(h, bottom + ry)
            # (rows, W, C) is channels-last (1, C, rows, W): depthwise convs
            # run vectorised over the labels without a transpose
            x = (values[a:b] * norm[a:b]).unsqueeze(0).permute(0, 3, 1, 2)
            x = F.conv2d(x, self.kx, padding=(0, rx), groups=c)
            # zero padding only where the reach leaves the image
            pad = ry if top - a < ry or b - bottom < ry else 0
            x = F.conv2d(x, self.ky, padding=(pad, 0), groups=c)
            first = top - a + pad - ry
            x = x[0, :, first:first + bottom - top].permute(1, 2, 0)
            out[top:bottom].addcmul_(x, weight[top:bottom])

    def apply(self, values: Tensor) -> Tensor:
        """``D G D values`` (N, C), D the normalisation, in a new tensor."""
        out = torch.zeros_like(values)
        self.add_to(out, values, self.norm)
        return out
