"""segplug's dense CRF against pydensecrf2 (Krähenbühl's C++ code), the
reference: the same labels on >= 99% of pixels after 5 and 10 iterations,
on a real photograph with realistically noisy probabilities and on
synthetic images. pydensecrf2 is a dev dependency: without it these tests
fail (at import), they do not skip."""
import numpy as np
import pydensecrf.densecrf  # noqa: F401  (the reference must be installed)
import pytest
import torch

from segplug.models.postprocessors import dense_crf
from ...utils import load_tool

MIN_AGREEMENT = 0.99


@pytest.fixture(scope='module')
def bench(repo_root):
    return load_tool(repo_root, 'benchmark_crf')


def _agreement(bench, probs, image, num_iters, **kwargs):
    ours = dense_crf(
        probs, torch.from_numpy(image), num_iters=num_iters, **kwargs)
    ref = bench.reference_crf(probs.numpy(), image, num_iters, **kwargs)
    # a reference run that left the input alone would prove nothing
    changed = float((ref.argmax(0) != probs.argmax(0).numpy()).mean())
    return float((ours.argmax(0).numpy() == ref.argmax(0)).mean()), changed


@pytest.mark.parametrize('num_iters', [5, 10])
def test_photograph_with_noisy_probabilities(bench, num_iters):
    image = bench.sample_photo((500, 375))
    probs = bench.noisy_probs(image, 21)
    agree, changed = _agreement(bench, probs, image, num_iters,
                                **bench.LARGEFOV)
    assert changed > 0.3  # measured 0.46
    assert agree >= MIN_AGREEMENT, agree  # measured 0.9993


def _synthetic(kind, rng):
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == 'discs':
        labels = np.zeros((h, w), np.int64)
        colours = rng.integers(0, 256, (5, 3))
        for k in range(1, 5):
            cy, cx, r = rng.integers(20, 100), rng.integers(20, 140), 18
            labels[(yy - cy)**2 + (xx - cx)**2 < r * r] = k
        image = colours[labels] + rng.normal(0, 12, (h, w, 3))
    else:  # 'gradient': smooth shading, a stripe of another label
        labels = ((xx + yy // 2) // 40 % 3).astype(np.int64)
        image = np.stack([xx * 1.5, yy * 2.0, 80 + 40 * labels], -1)
        image = image + rng.normal(0, 6, (h, w, 3))
    image = np.clip(image, 0, 255).astype(np.uint8)
    c = int(labels.max()) + 1
    logits = 1.5 * np.eye(c)[labels].transpose(2, 0, 1) + rng.normal(
        0, 1.0, (c, h, w))
    return torch.softmax(torch.tensor(logits, dtype=torch.float32), 0), image


@pytest.mark.parametrize('kind', ['discs', 'gradient'])
@pytest.mark.parametrize('num_iters', [5, 10])
@pytest.mark.parametrize(
    'settings',
    [
        dict(
            bi_weight=4.,
            bi_xy_std=121.,
            bi_rgb_std=5.,
            pos_weight=3.,
            pos_xy_std=3.),  # DeepLab v1 LargeFOV
        dict(
            bi_weight=4.,
            bi_xy_std=67.,
            bi_rgb_std=3.,
            pos_weight=3.,
            pos_xy_std=1.),  # DeepLab v2 ResNet-101
        dict(
            bi_weight=10.,
            bi_xy_std=20.,
            bi_rgb_std=13.,
            pos_weight=3.,
            pos_xy_std=3.),
    ])
def test_synthetic_images(bench, kind, num_iters, settings):
    probs, image = _synthetic(kind, np.random.default_rng(0))
    agree, changed = _agreement(bench, probs, image, num_iters, **settings)
    assert changed > 0.2  # measured 0.23-0.35; agreement 0.9998-1.0
    assert agree >= MIN_AGREEMENT, agree
