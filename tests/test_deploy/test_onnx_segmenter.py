"""OnnxSegmenter gives mmseg's own predictions (init_model and
inference_model on the same checkpoint) for images of different sizes."""
import json

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from segplug.apis import Segmenter
from segplug.deploy import (OnnxSegmenter, SegmentorGraph, build_sidecar,
                            export_onnx, sidecar_path)
from segplug.deploy.model_loading import load_segmentor
from .helpers import CRF, DEEPLABV3PLUS, REPO, save_random_checkpoint

SIZES = [(64, 64), (50, 70), (97, 61)]


def shapes_like(size, seed):
    """A BGR uint8 image of a few flat-coloured boxes on noise."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 60, (*size, 3), dtype=np.uint8)
    for _ in range(3):
        y, x = rng.integers(0, size[0] - 8), rng.integers(0, size[1] - 8)
        h, w = rng.integers(8, 30, 2)
        image[y:y + h, x:x + w] = rng.integers(80, 256, 3)
    return image


def write_config(tmp_path, base, resize=None, pad_size=None):
    """A config inheriting ``base``, with a test Resize and test padding."""
    pipeline = [dict(type='LoadImageFromFile')]
    if resize:
        pipeline.append(dict(type='Resize', scale=resize, keep_ratio=True))
    pipeline += [dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    text = f'_base_ = [{str(REPO + "/" + base)!r}]\n'
    text += f'test_pipeline = {pipeline!r}\n'
    text += 'test_dataloader = dict(dataset=dict(pipeline=test_pipeline))\n'
    if pad_size:
        text += ('model = dict(data_preprocessor=dict(test_cfg=dict('
                 f'size={tuple(pad_size)!r})))\n')
    path = tmp_path / 'config.py'
    path.write_text(text)
    return str(path)


def export(config, checkpoint, out, shape, dynamic):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    graph = SegmentorGraph(load_segmentor(cfg, checkpoint))
    export_onnx(graph, out, shape, dynamic)
    with open(sidecar_path(out), 'w') as f:
        json.dump(build_sidecar(cfg, out, shape, dynamic, 17, False), f)
    return out


def mmseg_predictions(config, checkpoint, images):
    from mmseg.apis import inference_model, init_model
    model = init_model(config, checkpoint, device='cpu')
    init_default_scope('mmseg')
    return [inference_model(model, image) for image in images]


def assert_same(ours, theirs):
    for mine, result in zip(ours, theirs):
        labels = result.pred_sem_seg.data[0].numpy()
        assert mine.labels.shape == labels.shape
        assert mine.labels.dtype == np.int64
        assert (mine.labels == labels).mean() >= 0.999
        probs = result.seg_logits.data.softmax(0).numpy()
        assert mine.probs.dtype == np.float32
        np.testing.assert_allclose(mine.probs, probs, atol=1e-4)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'dl3p.pth'
    return save_random_checkpoint(DEEPLABV3PLUS, str(path))


@pytest.mark.parametrize('resize', [None, (96, 96)])
def test_dynamic_model_matches_mmseg(tmp_path, checkpoint, resize):
    config = write_config(tmp_path, DEEPLABV3PLUS, resize=resize)
    out = export(config, checkpoint, str(tmp_path / 'm.onnx'), (64, 64), True)
    images = [shapes_like(size, i) for i, size in enumerate(SIZES)]
    segmenter = OnnxSegmenter(out)
    assert isinstance(segmenter, Segmenter)
    assert segmenter.classes[0] == 'background' and len(segmenter.palette) == 5
    ours = segmenter.predict(images, with_probs=True)
    assert [p.labels.shape for p in ours] == SIZES
    assert_same(ours, mmseg_predictions(config, checkpoint, images))
    assert segmenter.predict(images[:1])[0].probs is None


def test_static_model_pads_as_mmseg_test_padding(tmp_path, checkpoint):
    """A static model pads smaller images to its shape at the bottom and
    right: mmseg's result with the data preprocessor's test padding."""
    config = write_config(tmp_path, DEEPLABV3PLUS, pad_size=(64, 64))
    out = export(config, checkpoint, str(tmp_path / 'm.onnx'), (64, 64), False)
    images = [
        shapes_like(size, i) for i, size in enumerate([(64, 64), (40, 57)])
    ]
    ours = OnnxSegmenter(out).predict(images, with_probs=True)
    assert_same(ours, mmseg_predictions(config, checkpoint, images))


def test_crf_from_the_sidecar_matches_mmseg_postprocessor(tmp_path):
    checkpoint = save_random_checkpoint(CRF, str(tmp_path / 'crf.pth'))
    config = write_config(tmp_path, CRF)
    out = export(config, checkpoint, str(tmp_path / 'm.onnx'), (64, 64), True)
    images = [shapes_like((48, 56), 3)]
    segmenter = OnnxSegmenter(out)
    assert segmenter.crf.keywords['bi_xy_std'] == 30.0
    ours = segmenter.predict(images)
    theirs = mmseg_predictions(config, checkpoint, images)
    labels = theirs[0].pred_sem_seg.data[0].numpy()
    plain = theirs[0].seg_logits.data.argmax(0).numpy()
    assert (ours[0].labels == labels).mean() >= 0.99
    assert (labels != plain).any()  # the CRF changed something to agree on


def test_bad_inputs(tmp_path, checkpoint):
    with pytest.raises(ValueError, match='sidecar|json'):
        OnnxSegmenter(str(tmp_path / 'none.onnx'))
    out = export(REPO + '/' + DEEPLABV3PLUS, checkpoint,
                 str(tmp_path / 'm.onnx'), (64, 64), True)
    with pytest.raises(ValueError, match='expected a BGR uint8 image'):
        OnnxSegmenter(out).predict([np.zeros((8, 8), np.uint8)])
    with pytest.raises(ValueError, match="expected 'cpu', 'cuda' or 'cuda:N'"):
        OnnxSegmenter(out, device='tpu')
