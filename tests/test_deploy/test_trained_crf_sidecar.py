"""An exported model whose config trains its CRF (CRFAsRNN): the sidecar
carries the learned parameters, and onnxruntime inference refines with
them, not with the initial ones."""
import pytest
import torch
from mmengine.config import Config

from segplug.deploy import build_sidecar
from segplug.deploy.onnx_segmenter import sidecar_postprocessor
from segplug.engine import ConfigError
from segplug.models.postprocessors import CRFAsRNN, dense_crf

CRF = dict(
    type='CRFAsRNN',
    num_classes=3,
    num_iters=4,
    bi_xy_std=10.,
    bi_rgb_std=20.,
    pos_xy_std=1.)


def _learned():
    crf = CRFAsRNN(**{k: v for k, v in CRF.items() if k != 'type'})
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        crf.compat.add_(torch.rand(3, 3, generator=g))
        crf.bi_weight.fill_(2.5)
    return crf


def _inputs():
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(3, 20, 24, generator=g).softmax(0)
    image = (torch.rand(20, 24, 3, generator=g) * 255).to(torch.uint8)
    return probs, image.numpy()


def _sidecar(state):
    cfg = Config(
        dict(
            model=dict(
                data_preprocessor=dict(mean=[0.] * 3, std=[1.] * 3),
                decode_head=dict(num_classes=3),
                postprocessor=CRF)))
    return build_sidecar(cfg, 'm.onnx', (32, 32), False, 17, False, state)


def test_the_sidecar_refines_with_the_learned_parameters():
    crf = _learned()
    meta = _sidecar(crf.state_dict())
    assert meta['postprocessor_state']['bi_weight'] == 2.5
    refine = sidecar_postprocessor(meta['postprocessor'],
                                   meta['postprocessor_state'])
    probs, image = _inputs()
    with torch.no_grad():
        expected = crf(probs, image)
    torch.testing.assert_close(refine(probs, image), expected)
    initial = CRFAsRNN(**{k: v for k, v in CRF.items() if k != 'type'})
    with torch.no_grad():
        assert (initial(probs, image) - expected).abs().max() > 1e-3


def test_a_trained_crf_without_its_parameters_is_refused():
    meta = _sidecar(None)
    assert meta['postprocessor_state'] is None
    with pytest.raises(ConfigError, match='no postprocessor_state'):
        sidecar_postprocessor(meta['postprocessor'], None)


def test_a_post_hoc_crf_keeps_its_settings():
    refine = sidecar_postprocessor(dict(type='DenseCRF', num_iters=2), None)
    probs, image = _inputs()
    torch.testing.assert_close(
        refine(probs, image), dense_crf(probs, image, num_iters=2))
