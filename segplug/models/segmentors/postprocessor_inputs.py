"""What a segmentor hands its postprocessor (such as the dense CRF): the
class probabilities and the original (not normalised) image behind a
prediction."""
from typing import Optional

import cv2
import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.fileio import get
from torch import Tensor


def load_original_image(img_path: str, ori_shape) -> np.ndarray:
    """Read ``img_path`` as RGB uint8 (H, W, 3) and check it is
    ``ori_shape``; clear errors for missing, corrupt or mismatched files."""
    try:
        data = get(img_path)
    except OSError as err:
        raise FileNotFoundError(
            f'postprocessor: cannot read the original image {img_path}: '
            f'{err}') from err
    try:
        img = mmcv.imfrombytes(data, channel_order='rgb')
    except cv2.error:
        img = None
    if img is None:
        raise ValueError(f'postprocessor: {img_path} is not a readable image')
    if tuple(img.shape[:2]) != tuple(ori_shape[:2]):
        raise ValueError(
            f'postprocessor: {img_path} is {img.shape[:2]} but the '
            f'prediction is {tuple(ori_shape[:2])}; expected the same size')
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, 2)
    return img


def unnormalized_input(inputs: Tensor, meta: Optional[dict],
                       data_preprocessor) -> Tensor:
    """The network input (3, H, W) mapped back to 0-255, with padding and
    flip undone and resized to ``ori_shape``: the best stand-in for the
    original image when no file is behind it (arrays given to inference)."""
    x = inputs.float()
    if getattr(data_preprocessor, '_enable_normalize', False):
        x = x * data_preprocessor.std + data_preprocessor.mean
    if x.shape[0] == 3 and not getattr(data_preprocessor, 'channel_conversion',
                                       False):
        x = x.flip(0)  # loaded BGR (mmcv), left so: to RGB
    if meta:
        h, w = meta.get('img_shape', x.shape[-2:])[:2]
        x = x[:, :h, :w]
        if meta.get('flip'):
            x = x.flip(-1 if meta.get('flip_direction') ==
                       'horizontal' else -2)
        ori = tuple(meta.get('ori_shape', (h, w))[:2])
        if ori != (h, w):
            x = F.interpolate(
                x[None], size=ori, mode='bilinear', align_corners=False)[0]
    return x.clamp(0, 255).permute(1, 2, 0)


def class_probs(seg_logits: Tensor) -> Tensor:
    """Class probabilities (C, H, W) from mmseg's ``seg_logits`` data: the
    softmax of the logits, or for a one-channel head (whose ``seg_logits``
    mmseg already passes through a sigmoid) background and foreground."""
    seg_logits = seg_logits.float()
    if seg_logits.shape[0] == 1:
        return torch.cat([1 - seg_logits, seg_logits])
    return seg_logits.softmax(0)


def refine_with(postprocessor, probs: Tensor, image) -> Tensor:
    """Run ``postprocessor`` on ``probs`` (C, H, W) and the image; returns
    the label map (1, H, W)."""
    return postprocessor(probs, image).argmax(0, keepdim=True)
