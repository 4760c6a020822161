"""DeepLab v3+ from segplug's parts really learns the shapes data.

An untrained or background-only model scores about 18 mIoU on it (every
pixel background: IoU ~90 on one class of five); telling circles, squares,
triangles and stars apart by their outline is what lifts mIoU past the
threshold.
"""
import re

import pytest

from ..utils import read_log, shapes_options

pytestmark = pytest.mark.slow
ITERS = 2500
THRESHOLD = 50.0


@pytest.fixture(scope='module')
def shapes_full(tmp_path_factory):
    from segplug.datasets import generate_shapes
    root = str(tmp_path_factory.mktemp('shapes_full'))
    generate_shapes(root, num_train=2000, num_val=100)
    return root


def test_deeplabv3plus_learns_shapes(run_tool, shapes_full, tmp_path):
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', 'configs/deeplabv3plus_shapes.py',
              '--work-dir', work] + shapes_options(shapes_full, ITERS) +
             ['default_hooks.logger.interval=100'], timeout=900)
    miou = float(re.findall(r'mIoU: ([0-9.]+)', read_log(work))[-1])
    print(f'shapes val mIoU after {ITERS} iterations: {miou}')
    assert miou >= THRESHOLD
