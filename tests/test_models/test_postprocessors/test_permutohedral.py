"""The permutohedral lattice: how well it approximates a unit Gaussian,
its linearity and symmetry, and bad input."""
import pytest
import torch

from segplug.models.postprocessors import (PermutohedralLattice, lattice_keys,
                                           permutohedral)


def _kernel_fit(dim, n=20000, centres=10, seed=0):
    """Mean fitted standard deviation of the lattice's response to a unit
    impulse, and the mean L1 distance between that response and the exact
    unit Gaussian, both normalised to sum 1 (0 = identical, 2 = disjoint).
    """
    g = torch.Generator().manual_seed(seed)
    feats = (torch.rand(n, dim, generator=g) - 0.5) * 8
    lattice = PermutohedralLattice(feats)
    stds, l1s = [], []
    for i in range(centres):
        impulse = torch.zeros(n, 1)
        impulse[i] = 1
        resp = lattice.filter(impulse).squeeze(1)
        dist2 = ((feats - feats[i])**2).sum(1)
        keep = resp > resp.max() * 1e-2
        design = torch.stack([torch.ones(int(keep.sum())), -dist2[keep] / 2],
                             1)
        sol = torch.linalg.lstsq(design, resp[keep].log()[:, None]).solution
        stds.append(float(sol[1]**-0.5))
        exact = torch.exp(-dist2 / 2)
        diff = resp / resp.sum() - exact / exact.sum()
        l1s.append(float(diff.abs().sum()))
    return sum(stds) / centres, sum(l1s) / centres


@pytest.mark.parametrize(
    'dim,std_range,max_l1',
    [
        (2, (0.97, 1.05), 0.12),  # measured 1.008, 0.087
        (5, (1.07, 1.17), 0.32),  # measured 1.118, 0.270
    ])
def test_impulse_response_is_close_to_a_unit_gaussian(dim, std_range, max_l1):
    std, l1 = _kernel_fit(dim)
    assert std_range[0] <= std <= std_range[1], std
    assert l1 <= max_l1, l1


def test_filter_is_linear_and_symmetric():
    g = torch.Generator().manual_seed(1)
    feats = torch.rand(500, 3, generator=g) * 4
    lattice = PermutohedralLattice(feats)
    a, b = torch.rand(500, 2, generator=g), torch.rand(500, 2, generator=g)
    torch.testing.assert_close(
        lattice.filter(2 * a + b),
        2 * lattice.filter(a) + lattice.filter(b),
        rtol=1e-4,
        atol=1e-4)
    # splat and slice are transposes (up to the slice's constant) and each
    # axis' blur is symmetric; their product is symmetric only up to their
    # order (they do not commute): <K a, b> ~ <a, K b>, measured 2.5e-4
    assert float((lattice.filter(a) * b).sum()) == pytest.approx(
        float((a * lattice.filter(b)).sum()), rel=1e-3)


def test_far_apart_points_do_not_interact_and_near_ones_do():
    feats = torch.tensor([[0., 0.], [0.3, 0.], [50., 50.]])
    out = PermutohedralLattice(feats).filter(torch.eye(3))
    assert out[2, 0] == 0 and out[0, 2] == 0
    assert out[1, 0] > 0.5 * out[0, 0]


def test_normalize_gives_the_symmetrically_normalised_kernel():
    g = torch.Generator().manual_seed(2)
    feats = torch.rand(300, 2, generator=g) * 3
    values = torch.rand(300, 4, generator=g)
    plain = PermutohedralLattice(feats)
    norm = plain.filter(torch.ones(300, 1)).rsqrt()
    expected = 3.0 * norm * plain.filter(values * norm)
    scaled = PermutohedralLattice(feats)
    returned = scaled.normalize_(3.0)
    torch.testing.assert_close(returned, norm, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        scaled.filter(values), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('shape', [(10, ), (10, 0), (2, 3, 4)])
def test_bad_features_raise(shape):
    with pytest.raises(ValueError, match='expected features of shape'):
        PermutohedralLattice(torch.zeros(shape))


def test_values_of_the_wrong_length_raise():
    lattice = PermutohedralLattice(torch.rand(10, 2))
    with pytest.raises(ValueError, match=r'expected values of shape \(10'):
        lattice.filter(torch.rand(9, 3))


def test_int64_keys_give_the_int32_keys_result(monkeypatch):
    # typical feature ranges pack the vertex keys into int32; wider ones
    # fall back to int64, which must build the same lattice
    g = torch.Generator().manual_seed(4)
    feats = torch.rand(3000, 5, generator=g) * 6
    values = torch.rand(3000, 4, generator=g)
    small = PermutohedralLattice(feats)
    monkeypatch.setattr(lattice_keys, '_INT32_KEYS', 0)
    wide = PermutohedralLattice(feats)
    assert wide.num_vertices == small.num_vertices
    assert torch.equal(wide.filter(values), small.filter(values))


def test_slicing_in_chunks_gives_the_whole_result(monkeypatch):
    g = torch.Generator().manual_seed(5)
    feats = torch.rand(300, 3, generator=g) * 3
    values = torch.rand(300, 2, generator=g)
    add = torch.rand(300, 2, generator=g)
    lattice = PermutohedralLattice(feats)
    whole = lattice.filter(values, add=add)
    torch.testing.assert_close(whole, lattice.filter(values) + add)
    # one point per chunk, written into a given buffer
    monkeypatch.setattr(permutohedral, '_CHUNK_BYTES', 1)
    out = torch.full_like(add, float('nan'))
    assert lattice.filter(values, out=out, add=add) is out
    torch.testing.assert_close(out, whole, rtol=0, atol=0)


def test_a_feature_range_too_wide_to_index_raises():
    feats = torch.tensor([[0.] * 5, [1e5] * 5])
    with pytest.raises(ValueError, match='too many lattice cells'):
        PermutohedralLattice(feats)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device (CI has none)')
def test_cuda_matches_cpu():
    g = torch.Generator().manual_seed(3)
    feats, values = torch.rand(
        2000, 5, generator=g) * 4, torch.rand(
            2000, 3, generator=g)
    cpu = PermutohedralLattice(feats).filter(values)
    gpu = PermutohedralLattice(feats.cuda()).filter(values.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-4)
