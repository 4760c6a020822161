"""Segmentors with a postprocessor: the CRF gets the softmax of the
full-resolution logits and the original image, in predict and under
test-time augmentation (once, on the merge)."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import nn

from segplug.models.segmentors.postprocessor_inputs import (
    class_probs, load_original_image, unnormalized_input)


class _Spy(nn.Module):
    """Records what the postprocessor was given; returns the flipped
    probabilities so that its effect on the prediction is visible."""

    def __init__(self, crf):
        super().__init__()
        self.crf, self.calls = crf, []

    def forward(self, probs, image):
        self.calls.append((probs.clone(), torch.as_tensor(image).clone()))
        return 1 - probs


def _model(postprocessor=dict(type='DenseCRF', num_iters=2), num_classes=2):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='SegplugEncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[100., 110., 120.],
                std=[50., 60., 70.],
                bgr_to_rgb=True),
            backbone=dict(
                type='UNetEncoder',
                base_channels=4,
                num_levels=2,
                padding='same'),
            decode_head=dict(
                type='UNetHead',
                in_channels=(4, 8),
                channels=4,
                num_classes=num_classes,
                padding='same'),
            postprocessor=postprocessor))
    model.init_weights()
    model.eval()
    if model.postprocessor is not None:
        model.postprocessor = _Spy(model.postprocessor)
    return model


def _image_file(tmp_path, h=24, w=30, name='a.png'):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    path = str(tmp_path / name)
    mmcv.imwrite(rgb[..., ::-1], path)  # mmcv writes BGR
    return path, rgb


def _sample(path, h, w, **meta):
    return SegDataSample(
        metainfo=dict(
            img_path=path,
            ori_shape=(h, w),
            img_shape=(h, w),
            pad_shape=(h, w),
            **meta))


@torch.no_grad()
def test_predict_runs_the_postprocessor_on_softmax_and_the_file(tmp_path):
    path, rgb = _image_file(tmp_path)
    model = _model()
    inputs = torch.rand(1, 3, 24, 30)
    result = model.predict(inputs, [_sample(path, 24, 30)])[0]
    (probs, image), = model.postprocessor.calls
    torch.testing.assert_close(probs, result.seg_logits.data.softmax(0))
    assert torch.equal(image, torch.from_numpy(rgb))
    # the prediction is the postprocessor's, the logits the network's
    assert torch.equal(result.pred_sem_seg.data,
                       (1 - probs).argmax(0, keepdim=True))
    assert not torch.equal(result.pred_sem_seg.data,
                           result.seg_logits.data.argmax(0, keepdim=True))


@torch.no_grad()
def test_the_real_crf_runs_at_the_original_size(tmp_path):
    path, _ = _image_file(tmp_path, 40, 50)
    model = _model()
    model.postprocessor = model.postprocessor.crf
    sample = _sample(path, 40, 50)
    sample.set_metainfo(dict(img_shape=(32, 40), pad_shape=(32, 40)))
    result = model.predict(torch.rand(1, 3, 32, 40), [sample])[0]
    assert result.pred_sem_seg.data.shape == (1, 40, 50)
    assert result.seg_logits.data.shape == (2, 40, 50)


@torch.no_grad()
def test_arrays_without_a_file_use_the_unnormalised_input():
    model = _model()
    rgb = torch.randint(0, 256, (3, 16, 20)).float()
    inputs = (rgb - model.data_preprocessor.mean) / model.data_preprocessor.std
    model.predict(inputs[None])  # no data samples at all
    (_, image), = model.postprocessor.calls
    torch.testing.assert_close(image, rgb.permute(1, 2, 0), atol=1e-3, rtol=0)


def test_unnormalised_input_undoes_padding_flip_and_resize():
    model = _model()
    rgb = torch.randint(0, 256, (3, 10, 12)).float()
    norm = (rgb.flip(-1) - model.data_preprocessor.mean) / \
        model.data_preprocessor.std
    padded = torch.nn.functional.pad(norm, (0, 4, 0, 6))
    meta = dict(
        img_shape=(10, 12),
        ori_shape=(20, 24),
        flip=True,
        flip_direction='horizontal')
    out = unnormalized_input(padded, meta, model.data_preprocessor)
    assert out.shape == (20, 24, 3)
    expected = torch.nn.functional.interpolate(
        rgb[None], size=(20, 24), mode='bilinear')[0].permute(1, 2, 0)
    torch.testing.assert_close(out, expected, atol=1e-3, rtol=0)


def test_one_channel_heads_give_background_and_foreground():
    fg = torch.rand(1, 5, 6)  # mmseg's seg_logits of a sigmoid head
    probs = class_probs(fg)
    torch.testing.assert_close(probs, torch.cat([1 - fg, fg]))
    torch.testing.assert_close(
        class_probs(torch.tensor([[[0.]], [[2.]]])).flatten(),
        torch.tensor([0., 2.]).softmax(0))


def test_missing_corrupt_or_mismatched_original_images(tmp_path):
    path, _ = _image_file(tmp_path)
    with pytest.raises(
            FileNotFoundError,
            match='cannot read the original '
            'image .*missing.png'):
        load_original_image(str(tmp_path / 'missing.png'), (24, 30))
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='bad.png is not a readable image'):
        load_original_image(str(bad), (24, 30))
    with pytest.raises(
            ValueError,
            match=r'is \(24, 30\) but the prediction '
            r'is \(20, 30\)'):
        load_original_image(path, (20, 30))


@torch.no_grad()
def test_tta_postprocesses_the_merged_probabilities_once(tmp_path):
    path, rgb = _image_file(tmp_path)
    init_default_scope('mmseg')
    model = _model()
    spy = model.postprocessor
    tta = MODELS.build(dict(type='SegplugTTAModel', module=model))
    assert tta.postprocessor is spy and not model.run_postprocessor
    views = [
        dict(
            inputs=[torch.rand(3, 24, 30)],
            data_samples=[
                _sample(path, 24, 30, flip=flip, flip_direction='horizontal')
            ]) for flip in (False, True)
    ]
    merged = tta.test_step(
        dict(
            inputs=[v['inputs'] for v in views],
            data_samples=[v['data_samples'] for v in views]))
    (probs, image), = spy.calls
    assert torch.equal(image, torch.from_numpy(rgb))
    torch.testing.assert_close(probs.sum(0), torch.ones(24, 30))
    assert merged[0].pred_sem_seg.data.shape == (1, 24, 30)
    assert torch.equal(merged[0].pred_sem_seg.data,
                       (1 - probs).argmax(0, keepdim=True))
    assert merged[0].img_path == path


def test_without_a_postprocessor_nothing_changes(tmp_path):
    path, _ = _image_file(tmp_path)
    model = _model(postprocessor=None)
    with torch.no_grad():
        result = model.predict(
            torch.rand(1, 3, 24, 30), [_sample(path, 24, 30)])[0]
    assert torch.equal(result.pred_sem_seg.data,
                       result.seg_logits.data.argmax(0, keepdim=True))
