"""Each architecture really learns the shapes data.

An untrained or background-only model scores about 18 mIoU on it (every
pixel background: IoU ~90 on one class of five); telling circles, squares,
triangles and stars apart by their outline is what lifts mIoU past the
thresholds. Schedules are shortened to fit the suite; the thresholds sit
under what these runs reached when they were set (2026-11-21: DeepLab v1
60.4, v2 73.0, v3 59.2, v3+ 55.1, FCN-8s 72.5, U-Net 65.5, PSPNet 50.6),
above the ~30 of a model that only separates objects from background.

The narrow ResNet-18 models stay near 30 for their first ~1,000 iterations
and then start telling the outlines apart, at output stride 8 sooner than
at 16: hence 1,200-1,500 iterations for DeepLab v2/v3 and PSPNet at stride
8, 2,500 for DeepLab v3+ at 16. The VGG models learn from the start.
"""
import os
import re

import pytest

from ..utils import read_log, shapes_options

pytestmark = pytest.mark.slow

# config, iterations, mIoU threshold
CASES = {
    'deeplabv1': ('configs/deeplabv1/'
                  'deeplabv1-largefov_vgg16-tiny_1xb8-2.5k_shapes-128x128.py',
                  600, 45.),
    'deeplabv2': ('configs/deeplabv2/'
                  'deeplabv2_r18-tiny-d8_1xb8-5k_shapes-128x128.py', 1200,
                  50.),
    'deeplabv3': ('configs/deeplabv3/'
                  'deeplabv3_r18-tiny-d8_1xb8-5k_shapes-128x128.py', 1500,
                  40.),
    'deeplabv3plus': ('configs/deeplabv3plus_shapes.py', 2500, 40.),
    'fcn8s': ('configs/fcn/fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py',
              800, 50.),
    'pspnet': ('configs/pspnet/pspnet_r18-tiny-d8_1xb8-5k_shapes-128x128.py',
               1500, 40.),
    'unet': ('configs/unet/unet-s4-tiny_1xb8-2.5k_shapes-128x128.py', 800,
             50.),
}


@pytest.fixture(scope='session')
def shapes_full(tmp_path_factory):
    """Generated once per run: pytest-xdist workers share the folder, the
    first one to take the lock writes it."""
    from filelock import FileLock

    from segplug.datasets import generate_shapes
    base = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        base = base.parent
    root = str(base / 'shapes_full')
    with FileLock(root + '.lock'):
        generate_shapes(root, num_train=2000, num_val=100)
    return root


@pytest.mark.parametrize('arch', sorted(CASES))
def test_architecture_learns_shapes(arch, run_tool, shapes_full, tmp_path):
    config, iters, threshold = CASES[arch]
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', config, '--work-dir', work] +
             shapes_options(shapes_full, iters) +
             ['default_hooks.logger.interval=100'], timeout=900)
    miou = float(re.findall(r'mIoU: ([0-9.]+)', read_log(work))[-1])
    assert miou >= threshold, f'{arch}: val mIoU {miou} after {iters} iters'
