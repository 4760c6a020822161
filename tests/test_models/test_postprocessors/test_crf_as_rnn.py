"""The trainable dense CRF (CRF-as-RNN): gradients through mean-field
(gradcheck in float64), the filters' transposes, agreement with the
post-hoc CRF at its initial parameters, memory kept per iteration, and bad
settings."""
import math

import pytest
import torch
from torch.autograd import gradcheck

from segplug.models.postprocessors import (CRFAsRNN, CRFKernels,
                                           PermutohedralLattice, dense_crf,
                                           mean_field)
from segplug.models.postprocessors.mean_field import crf_unary

# small enough for gradcheck's finite differences: 12x10 pixels, 3 labels
H, W, L = 12, 10, 3
WIDTHS = dict(bi_xy_std=5., bi_rgb_std=20., pos_xy_std=1.)


def _image(h=H, w=W, seed=0):
    """Two regions of different colour plus noise, 0-255."""
    g = torch.Generator().manual_seed(seed)
    image = torch.full((h, w, 3), 60.)
    image[:, w // 2:] = 190.
    return (image + torch.randn(h, w, 3, generator=g) * 10).clamp(0, 255)


def _leaf(value):
    return torch.as_tensor(value, dtype=torch.float64).clone().requires_grad_()


@pytest.mark.parametrize('normalization', ['symmetric', 'row'])
def test_gradcheck_unary_weights_and_compatibility(normalization):
    kernels = CRFKernels(
        _image(),
        L,
        dtype=torch.float64,
        normalization=normalization,
        **WIDTHS)
    g = torch.Generator().manual_seed(1)
    unary = _leaf(torch.randn(H * W, L, generator=g, dtype=torch.float64))
    # a compatibility away from Potts, so no entry's gradient is special
    compat = _leaf(1 - torch.eye(L, dtype=torch.float64) +
                   0.1 * torch.rand(L, L, generator=g, dtype=torch.float64))

    def run(unary, bi_weight, pos_weight, compat):
        return mean_field(unary, kernels, 3, bi_weight, pos_weight, compat)

    assert gradcheck(run, (unary, _leaf(4.), _leaf(3.), compat))


@pytest.mark.parametrize('normalization', ['symmetric', 'row'])
def test_gradcheck_through_the_module_and_its_clamped_unary(normalization):
    crf = CRFAsRNN(
        num_classes=L, train_iters=3, normalization=normalization,
        **WIDTHS).double()
    image = _image()
    g = torch.Generator().manual_seed(2)
    logits = _leaf(torch.randn(L, H, W, generator=g, dtype=torch.float64))

    names = ('bi_weight', 'pos_weight', 'compat')
    params = [_leaf(getattr(crf, n).detach()) for n in names]
    for name in names:
        delattr(crf, name)  # plain tensors in their place, set per call

    def run(logits, *values):
        for name, value in zip(names, values):
            setattr(crf, name, value)
        return crf.refine_logits(logits, image)

    assert gradcheck(run, (logits, *params), fast_mode=True)


def test_gradcheck_with_recompute():
    kernels = CRFKernels(_image(), L, dtype=torch.float64, **WIDTHS)
    g = torch.Generator().manual_seed(3)
    unary = _leaf(torch.randn(H * W, L, generator=g, dtype=torch.float64))
    compat = _leaf(1 - torch.eye(L, dtype=torch.float64))

    def run(unary, compat):
        return mean_field(
            unary,
            kernels,
            3,
            torch.tensor(4., dtype=torch.float64),
            torch.tensor(3., dtype=torch.float64),
            compat,
            recompute=True)

    assert gradcheck(run, (unary, compat), fast_mode=True)


def test_lattice_transpose_is_the_adjoint_and_not_the_filter_itself():
    # <F x, y> = <x, F^T y> to float64 rounding; F itself is not symmetric
    # (truncated lattice, rounded weights), so F in place of F^T misses
    g = torch.Generator().manual_seed(4)
    lattice = PermutohedralLattice(torch.rand(3000, 5, generator=g) * 6)
    lattice.normalize_(4.0)
    lattice.to_(torch.float64)
    x, y = (
        torch.rand(3000, 4, generator=g, dtype=torch.float64)
        for _ in range(2))
    forward = float((lattice.filter(x) * y).sum())
    adjoint = float((x * lattice.filter(y, transpose=True)).sum())
    assert adjoint == pytest.approx(forward, rel=1e-13)
    itself = float((x * lattice.filter(y)).sum())
    assert abs(itself - forward) > 1e-6 * abs(forward)


def test_smoothness_kernel_is_its_own_transpose():
    kernels = CRFKernels(_image(31, 23), 2, dtype=torch.float64, **WIDTHS)
    g = torch.Generator().manual_seed(5)
    x, y = (
        torch.rand(31 * 23, 2, generator=g, dtype=torch.float64)
        for _ in range(2))
    apply = kernels.smoothness_kernel.apply
    assert float((apply(x) * y).sum()) == pytest.approx(
        float((x * apply(y)).sum()), rel=1e-13)


def _regions_probs(h=40, w=50, noise=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    truth = torch.zeros(h, w, dtype=torch.long)
    truth[:, w // 2:] = 1
    flip = torch.rand(h, w, generator=g) < noise
    probs = torch.full((2, h, w), 0.3)
    probs.scatter_(0, torch.where(flip, 1 - truth, truth)[None], 0.7)
    image = torch.full((h, w, 3), 40.)
    image[:, w // 2:] = 200.
    return probs, image


@pytest.mark.parametrize('iters', [1, 10])
@pytest.mark.parametrize('normalization', ['symmetric', 'row'])
def test_at_potts_it_gives_the_post_hoc_crfs_output(iters, normalization):
    probs, image = _regions_probs()
    settings = dict(
        bi_weight=4.,
        bi_xy_std=20.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=2.,
        normalization=normalization)
    crf = CRFAsRNN(num_classes=2, num_iters=iters, **settings)
    trained = crf(probs, image)
    post_hoc = dense_crf(probs, image, num_iters=iters, **settings)
    # the same arithmetic up to float32 rounding (the post-hoc CRF folds
    # the weights into the lattice and adds rather than subtracts the
    # Potts term); rounding grows with the iterations
    atol = 1e-6 if iters == 1 else 1e-4
    torch.testing.assert_close(trained, post_hoc, rtol=0, atol=atol)
    assert torch.equal(trained.argmax(0), post_hoc.argmax(0))


def test_a_learned_compatibility_changes_the_output():
    probs, image = _regions_probs()
    crf = CRFAsRNN(
        num_classes=2,
        num_iters=5,
        bi_xy_std=20.,
        bi_rgb_std=10.,
        pos_xy_std=2.)
    before = crf(probs, image)
    with torch.no_grad():
        crf.compat.zero_()  # no pairwise term: the clamped input back
    torch.testing.assert_close(
        crf(probs, image),
        probs.clamp(min=1e-5) / probs.clamp(min=1e-5).sum(0),
        rtol=0,
        atol=1e-6)
    assert (before - probs).abs().max() > 0.1


def test_gradients_reach_every_parameter_and_the_logits():
    crf = CRFAsRNN(num_classes=L, **WIDTHS)
    logits = torch.randn(L, H, W, requires_grad=True)
    target = torch.randint(0, L, (1, H, W))
    loss = torch.nn.functional.cross_entropy(
        crf.refine_logits(logits, _image())[None], target)
    loss.backward()
    for name, tensor in [('logits', logits), *crf.named_parameters()]:
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0, name
    assert {n
            for n, _ in crf.named_parameters()
            } == {'bi_weight', 'pos_weight', 'compat'}


def _saved_bytes(recompute, h=64, w=48, labels=5, iters=4):
    """Bytes autograd keeps for the backward pass of ``iters``
    iterations (each tensor once, however often it is saved)."""
    kernels = CRFKernels(_image(h, w), labels, **WIDTHS)
    unary = torch.randn(h * w, labels, requires_grad=True)
    compat = torch.ones(labels, labels, requires_grad=True)
    weight = torch.tensor(1.0, requires_grad=True)
    seen = {}

    def pack(t):
        seen[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        mean_field(unary, kernels, iters, weight, weight, compat, recompute)
    return sum(seen.values())


def test_memory_kept_per_iteration():
    # three (N, L) arrays per iteration (its input Q, kept by the softmax
    # that made it, and the two messages); with recompute only the Q, and
    # once the unary that every recomputed iteration reads
    array = 64 * 48 * 5 * 4
    stored, recomputed = _saved_bytes(False), _saved_bytes(True)
    assert stored == pytest.approx(4 * 3 * array, rel=0.01)
    assert recomputed == pytest.approx((4 + 1) * array, rel=0.01)


@pytest.mark.parametrize('kwargs,match', [
    (dict(num_classes=1), 'num_classes: expected an int >= 2'),
    (dict(num_classes=2.0), 'num_classes: expected an int >= 2'),
    (dict(num_classes=3, train_iters=0), 'train_iters: expected an int >= 1'),
    (dict(num_classes=3, num_iters=True), 'num_iters: expected an int'),
    (dict(num_classes=3, bi_xy_std=0.), 'bi_xy_std: expected a finite'),
    (dict(num_classes=3, raw_loss_weight=-1), 'raw_loss_weight: expected'),
    (dict(num_classes=3, min_prob=0.), r'min_prob: expected a number in'),
])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CRFAsRNN(**kwargs)


def test_logits_of_another_class_count_raise():
    crf = CRFAsRNN(num_classes=3)
    with pytest.raises(ValueError, match='expected 3 classes'):
        crf.refine_logits(torch.zeros(4, 5, 5), torch.zeros(5, 5, 3))


def test_unary_is_the_clamped_log_probability():
    log_probs = torch.tensor([[0.0, math.log(1e-7)]])
    assert crf_unary(log_probs,
                     1e-5)[0].tolist() == pytest.approx([0.0,
                                                         math.log(1e-5)])


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device (CI has none)')
def test_cuda_gives_the_cpu_output_and_gradients():
    crf = CRFAsRNN(num_classes=L, **WIDTHS)
    logits = torch.randn(L, H, W)
    image = _image()
    results = []
    for device in ('cpu', 'cuda'):
        crf.to(device).zero_grad()
        x = logits.to(device).requires_grad_()
        out = crf.refine_logits(x, image.to(device))
        out.square().sum().backward()
        results.append((out.cpu(), x.grad.cpu(), crf.compat.grad.cpu()))
    for cpu, gpu in zip(*results):
        torch.testing.assert_close(gpu, cpu, rtol=1e-4, atol=1e-4)


def test_autocast_leaves_mean_field_in_float32():
    crf = CRFAsRNN(num_classes=L, **WIDTHS)
    logits = torch.randn(L, H, W)
    expected = crf.refine_logits(logits, _image())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = crf.refine_logits(logits, _image())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, expected)
