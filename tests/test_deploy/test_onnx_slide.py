"""The ONNX backends follow a slide test mode: windows of the config's
crop size and stride, as mmseg's ``slide_inference``, on a large image."""
import numpy as np
import pytest

from segplug.deploy import OnnxSegmenter
from segplug.deploy.preprocess import slide_windows
from .helpers import DEEPLABV3PLUS, REPO, save_random_checkpoint
from .test_onnx_segmenter import (assert_same, export, mmseg_predictions,
                                  shapes_like)


def slide_config(tmp_path, crop, stride):
    path = tmp_path / 'slide.py'
    path.write_text(
        f'_base_ = [{REPO + "/" + DEEPLABV3PLUS!r}]\n'
        f'model = dict(test_cfg=dict(mode="slide", crop_size={crop!r}, '
        f'stride={stride!r}))\n')
    return str(path)


@pytest.mark.parametrize('size,crop,stride',
                         [((1024, 2048), (512, 512), (384, 384)),
                          ((100, 75), (64, 64), (40, 48))])
def test_windows_cover_the_image_as_mmseg_does(size, crop, stride):
    windows = slide_windows(size, crop, stride)
    count = np.zeros(size, int)
    for y1, y2, x1, x2 in windows:
        assert (y2 - y1, x2 - x1) == crop
        count[y1:y2, x1:x2] += 1
    assert count.min() >= 1
    rows = max(size[0] - crop[0] + stride[0] - 1, 0) // stride[0] + 1
    cols = max(size[1] - crop[1] + stride[1] - 1, 0) // stride[1] + 1
    assert len(windows) == rows * cols


@pytest.mark.slow
def test_static_export_slides_as_pytorch_on_a_1024x2048_image(tmp_path):
    """A model exported at the crop size (the export's default for a slide
    config) gives mmseg's slide inference's labels and probabilities."""
    config = slide_config(tmp_path, (512, 512), (384, 384))
    checkpoint = save_random_checkpoint(DEEPLABV3PLUS, str(tmp_path / 'm.pth'))
    out = export(config, checkpoint, str(tmp_path / 'm.onnx'), (512, 512),
                 False)
    image = shapes_like((1024, 2048), 7)
    segmenter = OnnxSegmenter(out)
    assert segmenter.meta['slide'] == dict(
        crop_size=[512, 512], stride=[384, 384])
    ours = segmenter.predict([image], with_probs=True)
    assert ours[0].labels.shape == (1024, 2048)
    assert_same(ours, mmseg_predictions(config, checkpoint, [image]))
    # segplug test's model slides with mmseg's own slide_inference
    import torch

    from segplug.deploy import OnnxEncoderDecoder
    from segplug.deploy.preprocess import preprocess
    model = OnnxEncoderDecoder(
        out,
        test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(384, 384)))
    x, _ = preprocess(image, segmenter.meta)
    metas = [
        dict(
            ori_shape=(1024, 2048),
            img_shape=(1024, 2048),
            pad_shape=(1024, 2048))
    ]
    logits = model.inference(torch.from_numpy(x), metas)
    np.testing.assert_allclose(logits.numpy(), segmenter._logits(x), atol=1e-5)


def test_a_slide_config_without_its_window_is_named(tmp_path):
    from mmengine.config import Config

    from segplug.deploy import build_sidecar
    from segplug.engine import ConfigError
    cfg = Config.fromfile(slide_config(tmp_path, None, (40, 40)))
    with pytest.raises(ConfigError, match="mode='slide' expects crop_size"):
        build_sidecar(cfg, 'm.onnx', (64, 64), False, 17, False)
