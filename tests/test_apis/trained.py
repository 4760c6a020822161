"""Checkpoints for the inference and tool tests: the shapes DeepLab v3+
trained a few iterations through tools/train.py, once per test run (shared
by the pytest-xdist workers)."""
import glob
import os.path as osp

import numpy as np
import torch

from ..utils import shapes_options, shared_training

CONFIG = 'configs/deeplabv3plus_shapes.py'
ITERS = 4
_CACHE = {}


def trained_run(run_tool, shapes_root, tmp_path_factory) -> str:
    """The work dir of ``CONFIG`` trained ``ITERS`` iterations on
    ``shapes_root``, validated at iterations 2 and 4 (test_plot_logs draws
    both), with the checkpoint ``iter_4.pth``. Nothing else writes there:
    test_plot_logs counts its runs."""
    return shared_training(
        run_tool, tmp_path_factory, 'deeplabv3plus-4-iters', CONFIG,
        shapes_options(shapes_root, ITERS, extra=['train_cfg.val_interval=2']))


def trained_checkpoint(run_tool, shapes_root, tmp_path_factory) -> str:
    """The checkpoint of ``trained_run``."""
    return osp.join(
        trained_run(run_tool, shapes_root, tmp_path_factory),
        f'iter_{ITERS}.pth')


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
