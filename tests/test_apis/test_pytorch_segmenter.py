"""PytorchSegmenter on the shapes DeepLab v3+ trained a few iterations."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from segplug.apis import PytorchSegmenter, read_image, segment
from segplug.apis.model_loading import with_crf
from segplug.engine import CheckpointError, ConfigError
from .trained import CONFIG, val_images, varied_checkpoint

CRF_CONFIG = ('configs/deeplabv1/'
              'deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py')


@pytest.fixture(scope='module')
def checkpoint(run_tool, shapes_root, tmp_path_factory):
    return varied_checkpoint(run_tool, shapes_root, tmp_path_factory)


@pytest.fixture(scope='module')
def images(shapes_root):
    return [read_image(p) for p in val_images(shapes_root)]


@pytest.mark.slow
def test_predictions_at_each_image_size(checkpoint, images):
    model = PytorchSegmenter(CONFIG, checkpoint)
    assert model.classes[0] == 'background' and len(model.palette) == 5
    preds = model.predict([images[0], images[1][5:50, 3:56]], with_probs=True)
    assert [p.labels.shape for p in preds] == [(64, 64), (45, 53)]
    assert [p.probs.shape for p in preds] == [(5, 64, 64), (5, 45, 53)]
    for p in preds:
        assert p.labels.dtype == np.int64 and p.probs.dtype == np.float32
        np.testing.assert_allclose(p.probs.sum(0), 1, atol=1e-5)
        np.testing.assert_array_equal(p.probs.argmax(0), p.labels)
    # the shifted checkpoint predicts several classes, not background only
    assert len(np.unique(preds[0].labels)) >= 3


@pytest.mark.slow
def test_mixed_size_batch_equals_each_image_alone(checkpoint, images):
    model = PytorchSegmenter(CONFIG, checkpoint)
    batch = [
        images[0], images[1][:45, :53], images[2], images[3][7:, 11:],
        images[4][:33]
    ]
    together = model.predict(batch, with_probs=True)
    for image, pred in zip(batch, together):
        alone = model.predict([image], with_probs=True)[0]
        np.testing.assert_array_equal(pred.labels, alone.labels)
        np.testing.assert_allclose(pred.probs, alone.probs, atol=1e-5)


@pytest.mark.slow
def test_crf_adds_the_postprocessor_and_changes_labels(checkpoint, images):
    plain = PytorchSegmenter(CONFIG, checkpoint)
    crf = PytorchSegmenter(CONFIG, checkpoint, crf=True)
    assert plain.postprocessor is None
    assert type(crf.postprocessor).__name__ == 'DenseCRF'
    assert crf.postprocessor.cfg['bi_xy_std'] == 121.0  # DeepLab v1's
    assert crf.cfg.model.type == 'SegplugEncoderDecoder'
    assert not crf.uses_config_postprocessor
    a = plain.predict(images[:4])
    b = crf.predict(images[:4], with_probs=True)
    assert any((x.labels != y.labels).any() for x, y in zip(a, b))
    for p in b:  # probabilities after the CRF
        np.testing.assert_array_equal(p.probs.argmax(0), p.labels)


def test_crf_keeps_a_configs_own_postprocessor():
    cfg = Config.fromfile(CRF_CONFIG)
    own = dict(cfg.model.postprocessor)
    cfg, uses_own = with_crf(cfg, True)
    assert uses_own and dict(cfg.model.postprocessor) == own
    cfg = Config(dict(model=dict(type='EncoderDecoder')))
    cfg, uses_own = with_crf(cfg, True)
    assert not uses_own
    assert cfg.model.type == 'SegplugEncoderDecoder'
    assert cfg.model.postprocessor == dict(type='DenseCRF')
    with pytest.raises(ConfigError, match='expected a segmentor of type'):
        with_crf(Config(dict(model=dict(type='CascadeEncoderDecoder'))), True)


@pytest.mark.slow
def test_segment_takes_paths_arrays_and_lists(checkpoint, images, shapes_root):
    model = PytorchSegmenter(CONFIG, checkpoint)
    path = val_images(shapes_root)[0]
    one = segment(model, path)
    np.testing.assert_array_equal(one.labels, segment(model, images[0]).labels)
    both = segment(model, [path, images[1]], with_probs=True)
    assert len(both) == 2 and both[1].probs.shape == (5, 64, 64)
    np.testing.assert_array_equal(both[0].labels, one.labels)
    with pytest.raises(TypeError, match='expected BGR uint8'):
        model.predict([images[0].astype(np.float32)])


@pytest.mark.slow
def test_mmseg_inferencer_gives_the_same_labels_with_the_crf(
        checkpoint, shapes_root):
    from mmseg.apis import MMSegInferencer
    paths = val_images(shapes_root)[:3]
    model = PytorchSegmenter(CONFIG, checkpoint, crf=True)
    inferencer = MMSegInferencer(
        model=model.cfg, weights=checkpoint, device='cpu')
    assert type(inferencer.model.postprocessor).__name__ == 'DenseCRF'
    results = inferencer(paths, return_datasamples=True)
    ours = segment(model, paths)
    for sample, pred in zip(results, ours):
        np.testing.assert_array_equal(sample.pred_sem_seg.data[0].numpy(),
                                      pred.labels)


def test_missing_and_unfitting_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        PytorchSegmenter(CONFIG, str(tmp_path / 'none.pth'))
    with pytest.raises(ConfigError, match='config not found'):
        PytorchSegmenter(str(tmp_path / 'none.py'), str(tmp_path / 'x.pth'))
    other = str(tmp_path / 'other.pth')
    torch.save({'state_dict': {
        'backbone.conv1.weight': torch.zeros(1)
    }}, other)
    with pytest.raises(
            CheckpointError,
            match='does not fit the model: .* tensors do not'):
        PytorchSegmenter(CONFIG, other)


@pytest.mark.slow
def test_fast_path_from_the_argument_and_the_config(checkpoint, images):
    fp32 = PytorchSegmenter(CONFIG, checkpoint)
    assert fp32.fast is None
    ref = fp32.predict(images[:2], with_probs=True)
    folded = PytorchSegmenter(CONFIG, checkpoint, fast=dict(bf16=False))
    assert folded.fast.startswith('fast inference: ')
    assert int(folded.fast.split()[2]) > 0  # BNs folded
    for a, b in zip(folded.predict(images[:2], with_probs=True), ref):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-4)
    cfg = Config.fromfile(CONFIG)
    cfg.fast_inference = dict(bf16=False)
    # the layout is the model's own setting (the demo config's: NHWC)
    assert PytorchSegmenter(cfg, checkpoint).fast.endswith('channels-last')
    cfg.model.channels_last = False
    assert PytorchSegmenter(cfg, checkpoint).fast.endswith('contiguous')
    assert PytorchSegmenter(cfg, checkpoint, fast=False).fast is None
    cfg.fast_inference = dict(bf16='maybe')
    with pytest.raises(ConfigError, match='fast_inference.bf16: expected'):
        PytorchSegmenter(cfg, checkpoint)


@pytest.mark.slow
def test_the_crf_runs_in_fp32_on_the_fast_paths_probabilities(
        checkpoint, images):
    """The CRF's input is the bf16 network's probabilities as fp32: the
    prediction equals the CRF run here on the fast path's own output."""
    fast = PytorchSegmenter(CONFIG, checkpoint, crf=True, fast=dict(bf16=True))
    net = PytorchSegmenter(CONFIG, checkpoint, fast=dict(bf16=True))
    assert 'bf16' in fast.fast
    seen = []
    fast.postprocessor.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].dtype))
    ours = fast.predict(images[:1], with_probs=True)[0]
    assert seen == [torch.float32] and ours.probs.dtype == np.float32
    probs = torch.from_numpy(net.predict(images[:1], with_probs=True)[0].probs)
    rgb = torch.from_numpy(np.ascontiguousarray(images[0][..., ::-1]))
    expected = fast.postprocessor(probs, rgb)
    np.testing.assert_allclose(ours.probs, expected.numpy(), atol=1e-5)
