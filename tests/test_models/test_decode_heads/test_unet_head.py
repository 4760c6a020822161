import pytest
import torch
import torch.nn as nn

from segplug.models.backbones.unet_encoder import UNetEncoder
from segplug.models.decode_heads.unet_head import UNetHead, center_crop
from segplug.models.utils.unet_sizes import unet_output_size

RESNET_CHANNELS = (8, 16, 32, 64)  # ResNet's 256..2048, scaled down


def _head(**kwargs):
    args = dict(in_channels=(4, 8, 16), channels=6, num_classes=3)
    args.update(kwargs)
    return UNetHead(**args)


def _feats(size, strides, channels=RESNET_CHANNELS):
    return tuple(
        torch.randn(1, c, -(-size // s), -(-size // s))
        for c, s in zip(channels, strides))


@pytest.mark.parametrize('upsample', ['deconv', 'bilinear'])
@pytest.mark.parametrize('size', [(45, 45), (32, 20)])
def test_same_padding_on_unet_encoder(upsample, size):
    enc = UNetEncoder(base_channels=4, num_levels=3, padding='same')
    head = _head(upsample=upsample)
    assert head(enc(torch.randn(2, 3, *size))).shape == (2, 3, *size)


@pytest.mark.parametrize('upsample', ['deconv', 'bilinear'])
def test_valid_padding_output_is_unet_output_size(upsample):
    enc = UNetEncoder(base_channels=4, num_levels=3)
    head = _head(upsample=upsample, padding='valid')
    out = head(enc(torch.randn(1, 3, 92, 60)))
    assert out.shape == (1, 3, unet_output_size(92,
                                                3), unet_output_size(60, 3))
    assert out.shape[2:] == (52, 20)


@pytest.mark.parametrize('upsample', ['deconv', 'bilinear'])
@pytest.mark.parametrize(
    'strides', [(4, 8, 16, 32), (4, 8, 8, 8)], ids=['resnet', 'dilated'])
@pytest.mark.parametrize('size', [64, 90])
def test_resnet_like_features(upsample, strides, size):
    head = _head(in_channels=RESNET_CHANNELS, upsample=upsample)
    feats = _feats(size, strides)
    assert head(feats).shape == (1, 3, *feats[0].shape[2:])


@pytest.mark.parametrize('upsample', ['deconv', 'bilinear'])
@pytest.mark.parametrize('strides, out', [((4, 8, 16, 32), 36),
                                          ((4, 8, 8, 8), 52)])
def test_resnet_like_features_valid_padding(upsample, strides, out):
    head = _head(
        in_channels=RESNET_CHANNELS, upsample=upsample, padding='valid')
    # Levels 64, 32, 16, 8: 8 -> 2*8-4 -> 2*12-4 -> 2*20-4 = 36. Levels 64,
    # 32, 32, 32: a doubled map larger than its skip is resized to it,
    # 32 -> 28 -> 28, then 2*28 fits in 64 and the skip is cropped: 52.
    assert head(_feats(256, strides)).shape == (1, 3, out, out)


def test_decoder_channels_follow_the_skips():
    head = _head(in_channels=RESNET_CHANNELS, channels=5)
    ups = [m.conv for m in head.ups]
    assert [(u.in_channels, u.out_channels)
            for u in ups] == [(64, 32), (32, 16), (16, 8)]
    assert all(
        isinstance(u, nn.ConvTranspose2d) and u.stride == (2, 2) for u in ups)
    assert [s[1].conv.out_channels for s in head.convs] == [32, 16, 5]
    assert [s[0].conv.in_channels for s in head.convs] == [64, 32, 16]
    assert head.conv_seg.in_channels == 5


def test_bilinear_uses_1x1_convs_and_valid_uses_no_padding():
    head = _head(upsample='bilinear', padding='valid')
    assert all(m.conv.kernel_size == (1, 1) for m in head.ups)
    assert all(m.conv.padding == (0, 0) for s in head.convs for m in s)


def test_valid_mode_crops_the_skip_centre():
    skip = torch.arange(36.).reshape(1, 1, 6, 6)
    assert torch.equal(center_crop(skip, (2, 4)), skip[..., 2:4, 1:5])


def test_in_index_picks_levels():
    head = _head(in_channels=(4, 16), in_index=(1, 3))
    inputs = (torch.randn(1, 3, 4, 4), torch.randn(1, 4, 22, 22),
              torch.randn(1, 3, 4, 4), torch.randn(1, 16, 11, 11))
    assert head(inputs).shape == (1, 3, 22, 22)


def test_valid_mode_too_small_raises():
    head = _head(in_channels=(4, 8), padding='valid')
    with pytest.raises(
            ValueError,
            match='expected upsampled maps of at '
            r'least 5x5 .*\(4, 4\)'):
        head((torch.randn(1, 4, 8, 8), torch.randn(1, 8, 2, 2)))


def _samples(size, num_classes=3):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, size, size)))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
        samples.append(s)
    return samples


def test_valid_loss_reads_the_label_centre_and_predict_needs_tiles():
    import torch.nn.functional as F
    enc = UNetEncoder(in_channels=1, base_channels=2, num_levels=3)
    head = _head(in_channels=(2, 4, 8), padding='valid', dropout_ratio=0.)
    feats = enc(torch.randn(2, 1, 60, 60))
    samples = _samples(60)
    losses = head.loss(feats, samples, train_cfg={})
    logits = head.forward(feats)
    out = logits.shape[-1]
    assert out < 60
    off = (60 - out) // 2
    labels = torch.cat([s.gt_sem_seg.data for s in samples])
    expected = F.cross_entropy(logits, labels[:, off:off + out, off:off + out])
    torch.testing.assert_close(losses['loss_ce'], expected)
    with pytest.raises(ValueError, match="overlap_tile"):
        head.predict(feats, [s.metainfo for s in samples], {})


def test_same_loss_and_predict_follow_mmseg_contract():
    enc = UNetEncoder(
        in_channels=1, base_channels=2, num_levels=3, padding='same')
    head = _head(in_channels=(2, 4, 8))
    feats = enc(torch.randn(2, 1, 45, 45))
    samples = _samples(45)
    assert head.loss(feats, samples, train_cfg={})['loss_ce'].item() > 0
    logits = head.predict(feats, [s.metainfo for s in samples], {})
    assert logits.shape == (2, 3, 45, 45)


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=8), ValueError),
    (dict(in_channels=(8, )), ValueError),
    (dict(in_channels=(8, 0)), ValueError),
    (dict(in_index=(0, 1)), ValueError),
    (dict(upsample='nearest'), ValueError),
    (dict(padding='full'), ValueError),
    (dict(input_transform='resize_concat'), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    with pytest.raises(err, match='expected'):
        _head(**kwargs)
