"""mmseg's test-time pre-processing and the undoing of it, in numpy and
torch, as described by an export's sidecar (see :mod:`.sidecar`)."""
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F


def _resize(image: np.ndarray, resize: Optional[dict]) -> np.ndarray:
    """mmcv's ``Resize`` transform (cv2, bilinear) on one BGR image."""
    if not resize:
        return image
    keep_ratio = resize.get('keep_ratio', False)
    if resize.get('scale') is not None:
        scale = tuple(resize['scale'])
    else:
        h, w = image.shape[:2]
        factor = resize['scale_factor']
        fw, fh = (factor, factor) if np.isscalar(factor) else factor
        scale = (int(w * fw + 0.5), int(h * fh + 0.5))
    if keep_ratio:
        return mmcv.imrescale(image, scale, interpolation='bilinear')
    return mmcv.imresize(image, scale, interpolation='bilinear')


def _fit(image: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Scale ``image`` down (keeping its ratio) to fit a static ``shape``."""
    h, w = image.shape[:2]
    if h <= shape[0] and w <= shape[1]:
        return image
    factor = min(shape[0] / h, shape[1] / w)
    size = (max(1, min(shape[1], int(w * factor + 0.5))),
            max(1, min(shape[0], int(h * factor + 0.5))))
    return mmcv.imresize(image, size, interpolation='bilinear')


def slide_cfg(meta: dict) -> Optional[dict]:
    """The sliding-window settings (``crop_size``, ``stride``) of a model
    whose config tests with ``mode='slide'``, else None."""
    if meta.get('test_mode') != 'slide':
        return None
    return meta.get('slide')


def _padded_size(size: Tuple[int, int], meta: dict) -> Tuple[int, int]:
    if not meta['input']['dynamic'] and not slide_cfg(meta):
        return tuple(meta['input']['shape'][2:])
    pad = meta.get('pad') or {}
    if pad.get('size'):
        return tuple(max(s, p) for s, p in zip(size, pad['size']))
    divisor = pad.get('size_divisor')
    if divisor:
        return tuple(-(-s // divisor) * divisor for s in size)
    return size


def preprocess(image: np.ndarray,
               meta: dict) -> Tuple[np.ndarray, Tuple[int, int]]:
    """A BGR uint8 image (H, W, 3) to the graph's input (1, 3, h, w).

    As mmseg's test pipeline and ``SegDataPreProcessor``: the config's test
    ``Resize``, channel order, ``(x - mean) / std``, then padding at the
    bottom and right with ``pad_val`` (to the exported shape of a static
    graph, which a larger image is first scaled down to fit, or as the
    preprocessor's ``test_cfg`` pads). With a slide test mode the image
    keeps its size and is padded as the preprocessor pads: the windows
    are taken from it (:func:`slide_windows`).

    Returns:
        (input, (h, w)): the input and the size of the image in it.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('expected a BGR uint8 image (H, W, 3), got '
                         f'{image.dtype} {image.shape}')
    image = _resize(image, meta.get('test_resize'))
    if not meta['input']['dynamic'] and not slide_cfg(meta):
        image = _fit(image, meta['input']['shape'][2:])
    if meta['bgr_to_rgb']:
        image = image[..., ::-1]
    x = (image.astype(np.float32) - np.float32(meta['mean'])) / np.float32(
        meta['std'])
    size = x.shape[:2]
    ph, pw = _padded_size(size, meta)
    x = np.pad(
        x, ((0, ph - size[0]), (0, pw - size[1]), (0, 0)),
        constant_values=meta.get('pad_val', 0))
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), size


def resize_logits(logits: np.ndarray, size: Tuple[int, int],
                  ori_shape: Tuple[int,
                                   int], align_corners: bool) -> torch.Tensor:
    """Logits (C, h', w') of a padded input to (C, H, W) at the image's own
    size, as mmseg's ``postprocess_result``: cut the padding, then resize
    bilinearly."""
    x = torch.from_numpy(np.ascontiguousarray(logits))[:, :size[0], :size[1]]
    if tuple(x.shape[1:]) == tuple(ori_shape):
        return x
    return F.interpolate(
        x[None],
        size=tuple(ori_shape),
        mode='bilinear',
        align_corners=align_corners)[0]


def slide_windows(size: Tuple[int, int], crop: Sequence[int],
                  stride: Sequence[int]) -> List[Tuple[int, int, int, int]]:
    """(y1, y2, x1, x2) of the windows mmseg's ``slide_inference`` takes
    on an input of ``size``: a grid of ``stride`` steps, the last window of
    each row and column moved back to end at the border."""
    (h, w), (h_crop, w_crop), (h_stride, w_stride) = size, crop, stride
    rows = max(h - h_crop + h_stride - 1, 0) // h_stride + 1
    cols = max(w - w_crop + w_stride - 1, 0) // w_stride + 1
    windows = []
    for r in range(rows):
        for c in range(cols):
            y2 = min(r * h_stride + h_crop, h)
            x2 = min(c * w_stride + w_crop, w)
            windows.append((max(y2 - h_crop, 0), y2, max(x2 - w_crop, 0), x2))
    return windows


def pad_to(x: np.ndarray, shape: Sequence[int], value: float) -> np.ndarray:
    """``x`` (N, C, h, w) padded at the bottom and right to ``shape``
    (H, W), which it must fit."""
    ph, pw = shape[0] - x.shape[2], shape[1] - x.shape[3]
    if ph < 0 or pw < 0:
        raise ValueError(f'an input of {x.shape[2]}x{x.shape[3]} does not fit '
                         f'the exported {shape[0]}x{shape[1]}')
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), constant_values=value)
