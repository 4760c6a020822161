"""Checkpoints for the inference tests: the shapes DeepLab v3+ trained a few
iterations through tools/train.py (shared by the tests of a session)."""
import glob
import os.path as osp

import numpy as np
import torch

from ..utils import shapes_options

CONFIG = 'configs/deeplabv3plus_shapes.py'
_CACHE = {}


def trained_checkpoint(run_tool, shapes_root, tmp_path_factory) -> str:
    """The checkpoint of 4 iterations of ``CONFIG`` on ``shapes_root``."""
    if 'trained' not in _CACHE:
        work = str(tmp_path_factory.mktemp('infer-train'))
        run_tool(['tools/train.py', CONFIG, '--work-dir', work] +
                 shapes_options(shapes_root, 4))
        _CACHE['trained'] = osp.join(work, 'iter_4.pth')
    return _CACHE['trained']


def varied_checkpoint(run_tool, shapes_root, tmp_path_factory) -> str:
    """The trained checkpoint with the classifier's bias shifted so that
    each class's mean logit on the val images is 0.

    Four iterations only learn that most pixels are background; with the
    shift every class wins somewhere, so that the overlays, the legend and
    the label maps have more than one class to show.
    """
    if 'varied' not in _CACHE:
        from segplug.apis import PytorchSegmenter, read_image
        trained = trained_checkpoint(run_tool, shapes_root, tmp_path_factory)
        images = [read_image(p) for p in val_images(shapes_root)]
        probs = np.stack([
            p.probs for p in PytorchSegmenter(CONFIG, trained).predict(
                images, with_probs=True)
        ])
        mean_log = np.log(probs + 1e-12).mean(axis=(0, 2, 3))
        ckpt = torch.load(trained)
        key = 'decode_head.conv_seg.bias'
        ckpt['state_dict'][key] -= torch.from_numpy(mean_log).to(
            ckpt['state_dict'][key])
        path = str(tmp_path_factory.mktemp('infer-varied') / 'varied.pth')
        torch.save(ckpt, path)
        _CACHE['varied'] = path
    return _CACHE['varied']


def val_images(shapes_root) -> list:
    return sorted(glob.glob(osp.join(shapes_root, 'JPEGImages', 'val_*.jpg')))
