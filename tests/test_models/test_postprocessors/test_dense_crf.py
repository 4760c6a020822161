"""dense_crf and the DenseCRF postprocessor: what mean-field does on images
whose answer is known, each option, and bad input."""
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from segplug.models.postprocessors import (DenseCRF, PermutohedralLattice,
                                           dense_crf)

# the module (the package exports the function under the same name)
crf_module = importlib.import_module('segplug.models.postprocessors.dense_crf')
smooth_module = importlib.import_module(
    'segplug.models.postprocessors.smoothness_kernel')
SmoothnessKernel = smooth_module.SmoothnessKernel


def _two_regions(h=40, w=50, noise=0.25, seed=0):
    """A dark left half and a bright right half; probabilities that favour
    the right label (0.5 + margin) but flip on ``noise`` of the pixels."""
    g = torch.Generator().manual_seed(seed)
    truth = torch.zeros(h, w, dtype=torch.long)
    truth[:, w // 2:] = 1
    image = torch.full((h, w, 3), 40, dtype=torch.uint8)
    image[:, w // 2:] = 200
    flip = torch.rand(h, w, generator=g) < noise
    noisy = torch.where(flip, 1 - truth, truth)
    probs = torch.full((2, h, w), 0.3)
    probs.scatter_(0, noisy[None], 0.7)
    return probs, image, truth


def test_mean_field_removes_label_noise_inside_uniform_regions():
    probs, image, truth = _two_regions()
    before = (probs.argmax(0) == truth).float().mean()
    q = dense_crf(probs, image, bi_xy_std=20., bi_rgb_std=10.)
    after = (q.argmax(0) == truth).float().mean()
    assert before < 0.8 and after > 0.99
    torch.testing.assert_close(q.sum(0), torch.ones(40, 50))


def test_colour_edges_stop_the_smoothing():
    """Without the appearance kernel the noise is smoothed across the
    edge as well; with it the edge follows the image."""
    probs, image, truth = _two_regions(noise=0.0)
    # the network is unsure in a 6-pixel strip right of the edge
    probs[:, :, 25:31] = torch.tensor([0.55, 0.45])[:, None, None]
    with_edges = dense_crf(
        probs, image, bi_xy_std=20., bi_rgb_std=10., pos_weight=0.)
    blind = dense_crf(probs, image, bi_weight=0., pos_weight=3., pos_xy_std=3.)
    assert (with_edges.argmax(0) == truth).all()
    assert (blind.argmax(0)[:, 25:31] == 0).any()


@pytest.mark.parametrize('tile_bytes', [1, 2**30])
def test_smoothness_kernel_is_the_normalised_truncated_gaussian(
        monkeypatch, tile_bytes):
    # row tiles of 12 (the smallest: 4x the radius of 3), with a short last
    # one, or the whole image in one tile, against a direct 2-D convolution
    monkeypatch.setattr(smooth_module, '_TILE_BYTES', tile_bytes)
    h, w, c, std = 50, 17, 3, 1.0
    kernel = SmoothnessKernel(h, w, c, std, 'cpu')
    assert kernel.tile_rows == (12 if tile_bytes == 1 else h)
    g = torch.Generator().manual_seed(0)
    values, out = torch.rand(
        h * w, c, generator=g), torch.rand(
            h * w, c, generator=g)
    weight = torch.rand(h * w, 1, generator=g)
    expected = out.clone()
    kernel.add_to(out, values, weight)

    t = torch.arange(-3, 4, dtype=torch.float32)
    g1 = torch.exp(-0.5 * (t / std)**2)
    g2 = (g1[:, None] * g1[None]).expand(c, 1, 7, 7)
    mass = F.conv2d(torch.ones(1, 1, h, w), g2[:1], padding=3)
    norm = mass.rsqrt().view(h * w, 1)
    blurred = F.conv2d(
        (values * norm).t().reshape(1, c, h, w), g2, padding=3, groups=c)
    expected += weight * norm * blurred.view(c, h * w).t()
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(kernel.norm, norm)


def test_row_normalised_kernels_average_and_transpose():
    """normalization='row': each pixel's message is a weighted average (a
    constant passes unchanged), and the transposed filter is the adjoint:
    <K x, y> = <x, K^T y>, for the Gaussian and the lattice."""
    h, w, c = 23, 19, 3
    g = torch.Generator().manual_seed(1)
    x = torch.rand(h * w, c, generator=g, dtype=torch.float64)
    y = torch.rand(h * w, c, generator=g, dtype=torch.float64)
    ones = torch.ones(h * w, c, dtype=torch.float64)
    kernel = SmoothnessKernel(
        h, w, c, 2.0, 'cpu', torch.float64, normalization='row')
    torch.testing.assert_close(kernel.apply(ones), ones)
    torch.testing.assert_close((kernel.apply(x) * y).sum(),
                               (x * kernel.apply(y, transpose=True)).sum())
    image = torch.randint(0, 256, (h, w, 3), generator=g).float()
    ys, xs = torch.meshgrid(
        torch.arange(h).float(), torch.arange(w).float(), indexing='ij')
    features = torch.cat([torch.stack([xs, ys], -1) / 5.0, image / 20.0],
                         -1).view(-1, 5)
    lattice = PermutohedralLattice(features)
    lattice.normalize_(normalization='row')
    lattice.to_(torch.float64)
    # the lattice's weights are float32, as the reference builds them
    torch.testing.assert_close(lattice.filter(ones), ones, rtol=0, atol=1e-6)
    torch.testing.assert_close((lattice.filter(x) * y).sum(),
                               (x * lattice.filter(y, transpose=True)).sum())
    # and not the symmetric kernel's output
    symmetric = SmoothnessKernel(h, w, c, 2.0, 'cpu', torch.float64)
    assert not torch.allclose(symmetric.apply(x), kernel.apply(x))


def test_zero_iterations_return_the_clamped_input():
    probs, image, _ = _two_regions()
    probs[0, 0, 0], probs[1, 0, 0] = 0.0, 1.0
    q = dense_crf(probs, image, num_iters=0, min_prob=1e-3)
    assert q[0, 0, 0] == pytest.approx(1e-3 / (1 + 1e-3))
    torch.testing.assert_close(q[:, 1:], probs[:, 1:])


def test_zero_weights_keep_the_unary():
    probs, image, _ = _two_regions()
    q = dense_crf(probs, image, bi_weight=0., pos_weight=0.)
    torch.testing.assert_close(q, probs)


def test_more_iterations_and_weight_smooth_more():
    probs, image, truth = _two_regions(noise=0.35, seed=1)
    errors = [
        int((dense_crf(
            probs,
            image,
            num_iters=n,
            bi_weight=w,
            bi_xy_std=20.,
            bi_rgb_std=10.).argmax(0) != truth).sum())
        for n, w in ((1, 1.), (5, 1.), (5, 4.))
    ]
    assert errors[0] > errors[1] > errors[2]


def test_numpy_and_float_images_agree_and_bgr_nearly():
    probs, image, _ = _two_regions()
    image[..., 0] = 90  # not grey
    q = dense_crf(probs, image)
    torch.testing.assert_close(dense_crf(probs, image.numpy()), q)
    torch.testing.assert_close(dense_crf(probs, image.float()), q)
    # the kernel treats the channels alike; its lattice embedding does not
    # quite (measured max difference 0.0045)
    torch.testing.assert_close(
        dense_crf(probs, image.flip(-1)), q, rtol=0, atol=0.01)


def test_postprocessor_wraps_the_function_with_the_paper_defaults():
    probs, image, _ = _two_regions()
    crf = DenseCRF()
    assert crf.cfg == dict(
        num_iters=10,
        bi_weight=4.0,
        bi_xy_std=121.0,
        bi_rgb_std=5.0,
        pos_weight=3.0,
        pos_xy_std=3.0,
        min_prob=1e-5,
        normalization='symmetric')
    torch.testing.assert_close(crf(probs, image), dense_crf(probs, image))
    assert 'bi_xy_std=121.0' in repr(crf)


@pytest.mark.parametrize('probs,image,match', [
    (torch.full((2, 4, 5), 0.5), torch.zeros(
        4, 6, 3), r'image is \(4, 6\) but the probabilities are \(4, 5\)'),
    (torch.full((2, 4, 5), 0.5), torch.zeros(
        4, 5), r'expected an RGB image of shape \(H, W, 3\), got \(4, 5\)'),
    (torch.full((2, 4, 5), 0.5), torch.zeros(4, 5, 4),
     r'expected an RGB image of shape \(H, W, 3\), got \(4, 5, 4\)'),
    (torch.full((4, 5), 0.5), torch.zeros(
        4, 5, 3), r'expected probabilities of shape \(C, H, W\)'),
    (torch.full((2, 4, 5), float('nan')), torch.zeros(
        4, 5, 3), 'probabilities contain NaN'),
    (torch.full((2, 4, 5), 0.6), torch.zeros(
        4, 5, 3), 'must sum to 1 over the classes'),
    (torch.randn(2, 4, 5), torch.zeros(4, 5, 3), 'must be >= 0|sum to 1'),
    (torch.full((2, 4, 5), 0.5), torch.full(
        (4, 5, 3), float('inf')), 'image contains NaN or inf'),
])
def test_bad_inputs_raise_a_clear_error(probs, image, match):
    with pytest.raises(ValueError, match=match):
        dense_crf(probs, image)


def test_integer_probabilities_raise():
    with pytest.raises(TypeError, match='floating-point probabilities'):
        dense_crf(
            torch.ones(1, 3, 3, dtype=torch.long), np.zeros((3, 3, 3),
                                                            np.uint8))


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(num_iters=-1), ValueError, 'num_iters: expected an int >= 0'),
    (dict(num_iters=2.5), ValueError, 'num_iters: expected an int >= 0'),
    (dict(bi_xy_std=0), ValueError, r'bi_xy_std: expected a finite number'
     r' > 0'),
    (dict(pos_xy_std=float('nan')), ValueError, 'pos_xy_std'),
    (dict(bi_weight=-1.), ValueError, r'bi_weight: expected a finite '
     r'number >= 0'),
    (dict(bi_rgb_std='5'), TypeError, 'bi_rgb_std: expected a number'),
])
def test_bad_settings_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        DenseCRF(**kwargs)
    with pytest.raises(error, match=match):
        dense_crf(torch.full((2, 3, 3), 0.5), torch.zeros(3, 3, 3), **kwargs)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device (CI has none)')
def test_cuda_gives_the_cpu_labels():
    probs, image, _ = _two_regions(noise=0.35)
    cpu = dense_crf(probs, image, bi_xy_std=20., bi_rgb_std=10.)
    gpu = dense_crf(probs.cuda(), image.cuda(), bi_xy_std=20., bi_rgb_std=10.)
    assert gpu.is_cuda
    assert (gpu.argmax(0).cpu() == cpu.argmax(0)).float().mean() > 0.999
