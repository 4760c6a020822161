"""Smooth random elastic deformation of an image and its label maps."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

# Depths cv2.remap interpolates bilinearly; others go through float64.
_REMAP_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def _check_grid(grid) -> Tuple[int, int]:
    if (isinstance(grid, (str, int)) or len(grid) != 2 or any(
            isinstance(g, bool) or not isinstance(g, int) or g < 1
            for g in grid)):
        raise ValueError('elastic deformation grid: expected two positive '
                         f'ints (rows, cols), got {grid!r}')
    return tuple(grid)


def _check_sigma(sigma) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise TypeError('elastic deformation sigma: expected a number >= 0, '
                        f'got {type(sigma).__name__} {sigma!r}')
    if sigma < 0:
        raise ValueError('elastic deformation sigma: expected a number >= 0, '
                         f'got {sigma!r}')
    return float(sigma)


def _remap_image(img: np.ndarray, map_x: np.ndarray,
                 map_y: np.ndarray) -> np.ndarray:
    src = img if img.dtype in _REMAP_DTYPES else img.astype(np.float64)
    out = cv2.remap(
        src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if out.dtype != img.dtype:
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            out = np.clip(np.rint(out), info.min, info.max)
        out = out.astype(img.dtype)
    return out.reshape(img.shape)


def _remap_nearest(seg: np.ndarray, map_x: np.ndarray, map_y: np.ndarray,
                   border_value: Optional[int]) -> np.ndarray:
    """Nearest-neighbour warp by warping pixel indices, so that any dtype and
    channel count works and every output value is copied from the input."""
    h, w = seg.shape[:2]
    index = np.arange(h * w, dtype=np.int32).reshape(h, w)
    if border_value is None:
        index = cv2.remap(
            index,
            map_x,
            map_y,
            cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_REFLECT_101)
    else:
        index = cv2.remap(
            index,
            map_x,
            map_y,
            cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=-1)
    flat = seg.reshape(h * w, *seg.shape[2:])
    out = flat[np.maximum(index, 0)]
    if border_value is not None:
        out[index < 0] = border_value
    return out


def elastic_deform(
    img: np.ndarray,
    seg_maps: Sequence[np.ndarray] = (),
    grid: Tuple[int, int] = (3, 3),
    sigma: float = 10.,
    rng: Optional[np.random.Generator] = None,
    seg_border_value: Optional[int] = None
) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Warp an image and its label maps by one smooth random field, as in
    `U-Net <https://arxiv.org/abs/1505.04597>`_ (Sec. 3.1).

    Displacements drawn from N(0, sigma^2) pixels on a coarse ``grid`` are
    interpolated bicubically to every pixel. The image is sampled bilinearly
    with mirrored (reflect-101) borders; the label maps use the same field
    with nearest-neighbour sampling, so they only hold values they had.

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image, any numeric dtype.
        seg_maps (Sequence[np.ndarray]): Label maps ``(H, W)`` (or
            ``(H, W, C)``) of any dtype.
        grid (tuple[int, int]): Rows and columns of the coarse displacement
            grid. Default (3, 3) as in the paper.
        sigma (float): Standard deviation of the displacements in pixels.
            Default 10 as in the paper.
        rng (np.random.Generator, optional): Random source. Default None: a
            fresh unseeded generator.
        seg_border_value (int, optional): Value for label pixels sampled
            from outside the image. Default None: mirror them like the image.

    Returns:
        tuple: The warped image and list of label maps, with the input
        shapes and dtypes.
    """
    grid = _check_grid(grid)
    sigma = _check_sigma(sigma)
    if img.ndim not in (2, 3):
        raise ValueError('elastic_deform img: expected (H, W) or (H, W, C), '
                         f'got shape {img.shape}')
    h, w = img.shape[:2]
    for seg in seg_maps:
        if seg.shape[:2] != (h, w):
            raise ValueError(f'elastic_deform seg map: expected size {h}x{w} '
                             f'like the image, got shape {seg.shape}')
    rng = np.random.default_rng() if rng is None else rng
    coarse = rng.normal(0., sigma, size=(2, *grid)).astype(np.float32)
    dx, dy = (
        cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) for c in coarse)
    cols, rows = np.meshgrid(
        np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = cols + dx, rows + dy
    return (_remap_image(img, map_x, map_y), [
        _remap_nearest(seg, map_x, map_y, seg_border_value) for seg in seg_maps
    ])


@TRANSFORMS.register_module()
class ElasticDeformation(BaseTransform):
    """Random elastic deformation of `U-Net: Convolutional Networks for
    Biomedical Image Segmentation <https://arxiv.org/abs/1505.04597>`_.

    With probability ``prob``, warps ``results['img']`` and every map named
    in ``results['seg_fields']`` (e.g. ``gt_seg_map``) by the same random
    field, see :func:`elastic_deform`. Draws from numpy's global random
    state, so mmengine's ``randomness.seed`` makes it repeatable.

    Args:
        grid (tuple[int, int]): Coarse displacement grid. Default (3, 3).
        sigma (float): Displacement standard deviation in pixels.
            Default 10.
        prob (float): Probability of applying the warp. Default 0.5.
        seg_border_value (int, optional): Label for pixels pulled in from
            outside the image, e.g. 255 to ignore them. Default None: mirror
            the labels as the image is mirrored, which keeps them consistent.
    """

    def __init__(self,
                 grid: Tuple[int, int] = (3, 3),
                 sigma: float = 10.,
                 prob: float = 0.5,
                 seg_border_value: Optional[int] = None):
        self.grid = _check_grid(grid)
        self.sigma = _check_sigma(sigma)
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) \
                or not 0 <= prob <= 1:
            raise ValueError('ElasticDeformation prob: expected a number in '
                             f'[0, 1], got {prob!r}')
        if seg_border_value is not None and (
                isinstance(seg_border_value, bool)
                or not isinstance(seg_border_value, int)):
            raise TypeError('ElasticDeformation seg_border_value: expected '
                            f'an int or None, got {seg_border_value!r}')
        self.prob = prob
        self.seg_border_value = seg_border_value

    def transform(self, results: dict) -> dict:
        """Warp ``img`` ``(H, W[, C])`` and the ``seg_fields`` maps in place;
        shapes and dtypes are kept."""
        if np.random.rand() >= self.prob:
            return results
        rng = np.random.default_rng(np.random.randint(2**31))
        fields = results.get('seg_fields', [])
        img, segs = elastic_deform(results['img'],
                                   [results[k] for k in fields], self.grid,
                                   self.sigma, rng, self.seg_border_value)
        results['img'] = img
        results.update(zip(fields, segs))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(grid={self.grid}, '
                f'sigma={self.sigma}, prob={self.prob}, '
                f'seg_border_value={self.seg_border_value})')
