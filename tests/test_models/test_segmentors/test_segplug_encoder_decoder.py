import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import segplug  # noqa: F401


def _unet(test_cfg, padding='same', **kwargs):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='SegplugEncoderDecoder',
            **kwargs,
            data_preprocessor=dict(type='SegDataPreProcessor'),
            backbone=dict(
                type='UNetEncoder',
                base_channels=4,
                num_levels=3,
                padding=padding),
            decode_head=dict(
                type='UNetHead',
                in_channels=(4, 8, 16),
                channels=4,
                num_classes=3,
                padding=padding),
            test_cfg=test_cfg))
    model.init_weights()
    return model.eval()


@torch.no_grad()
def test_overlap_tile_equals_whole_image_without_seams():
    whole = _unet(dict(mode='whole'))
    tiled = _unet(dict(mode='overlap_tile', tile_size=16, margin=24))
    tiled.load_state_dict(whole.state_dict())
    x = torch.randn(1, 3, 64, 64)
    metas = [dict(ori_shape=(64, 64), img_shape=(64, 64))]
    a, b = whole.inference(x, metas), tiled.inference(x, metas)
    assert a.shape == b.shape == (1, 3, 64, 64)
    # pixels whose receptive field stays inside the image: the tile edges
    # at 32 run through this window, and nothing changes there
    torch.testing.assert_close(b[..., 24:40, 24:40], a[..., 24:40, 24:40])


@torch.no_grad()
def test_valid_unet_predicts_full_images_by_tiles():
    from segplug.models.utils.unet_sizes import unet_output_size
    out = unet_output_size(60, 3)
    margin = (60 - out) // 2
    model = _unet(
        dict(mode='overlap_tile', tile_size=out, margin=margin),
        padding='valid')
    x = torch.randn(1, 3, 50, 70)
    logits = model.inference(x, [dict(ori_shape=(50, 70))])
    assert logits.shape == (1, 3, 50, 70)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize('test_cfg', [
    dict(mode='tiles'),
    dict(mode='overlap_tile'),
    dict(mode='overlap_tile', tile_size=16, margin=-2),
])
def test_bad_test_cfg_raises(test_cfg):
    with pytest.raises(ValueError, match='expected'):
        _unet(test_cfg)


def test_channels_last_gives_the_same_numbers_and_stays_channels_last():
    nchw = _unet(dict(mode='whole'))
    nhwc = _unet(dict(mode='whole'), channels_last=True)
    weights = [p for p in nhwc.parameters() if p.dim() == 4]
    assert weights and all(
        p.is_contiguous(memory_format=torch.channels_last) for p in weights)
    assert not all(p.is_contiguous() for p in weights)  # really NHWC
    nhwc.load_state_dict(nchw.state_dict())
    assert all(
        p.is_contiguous(memory_format=torch.channels_last) for p in weights)
    inputs = torch.randn(2, 3, 32, 32)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(img_shape=(32, 32), pad_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(
            data=torch.arange(32 * 32).view(1, 32, 32) % 3)
        samples.append(sample)
    losses = []
    for model in (nchw, nhwc):
        model.train()
        torch.manual_seed(1)  # the same dropout
        loss = sum(v for k, v in model.loss(inputs, samples).items()
                   if 'loss' in k)
        loss.backward()
        losses.append(loss.detach())
    torch.testing.assert_close(losses[0], losses[1])
    for a, b in zip(nchw.parameters(), nhwc.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6)
