import pytest
import torch
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule

from segplug.models.decode_heads import DeepLabV3PlusHead


def _head(**kwargs):
    args = dict(
        in_channels=(8, 16), channels=12, num_classes=5, low_level_channels=6)
    args.update(kwargs)
    return DeepLabV3PlusHead(**args)


@pytest.mark.parametrize('low, enc', [((45, 45), (12, 12)), ((23, 31), (6, 8)),
                                      ((7, 7), (1, 1))])
def test_output_at_low_level_resolution(low, enc):
    head = _head()
    inputs = (torch.randn(2, 8,
                          *low), torch.randn(2, 4, 3,
                                             3), torch.randn(2, 16, *enc))
    assert head(inputs).shape == (2, 5, *low)


@pytest.mark.parametrize('separable', [True, False])
@pytest.mark.parametrize('num_convs', [1, 2, 3])
def test_options(separable, num_convs):
    head = _head(separable=separable, num_convs=num_convs)
    assert len(head.refine) == num_convs
    kind = DepthwiseSeparableConvModule if separable else ConvModule
    assert all(isinstance(m, kind) for m in head.refine)
    assert head.low_level_reduce.conv.out_channels == 6
    out = head((torch.randn(1, 8, 17, 17), torch.randn(1, 16, 5, 5)))
    assert out.shape == (1, 5, 17, 17)


def test_in_index_picks_levels():
    head = _head(in_index=(1, 3))
    inputs = (torch.randn(1, 3, 4, 4), torch.randn(1, 8, 21, 21),
              torch.randn(1, 3, 4, 4), torch.randn(1, 16, 6, 6))
    assert head(inputs).shape == (1, 5, 21, 21)


def test_loss_and_predict_follow_mmseg_contract():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    head = _head()
    inputs = (torch.randn(2, 8, 16, 16), torch.randn(2, 16, 4, 4))
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 64, 64)))
        s.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64)))
        samples.append(s)
    losses = head.loss(inputs, samples, train_cfg={})
    assert losses['loss_ce'].item() > 0
    logits = head.predict(inputs, [s.metainfo for s in samples], {})
    assert logits.shape == (2, 5, 64, 64)


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=8), ValueError),
    (dict(in_channels=(8, 16, 32)), ValueError),
    (dict(in_index=0), ValueError),
    (dict(low_level_channels=0), ValueError),
    (dict(num_convs=0), ValueError),
    (dict(input_transform='resize_concat'), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    with pytest.raises(err, match='expected'):
        _head(**kwargs)
