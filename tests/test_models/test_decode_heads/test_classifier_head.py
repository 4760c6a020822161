import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from segplug.models.decode_heads.classifier_head import ClassifierHead


def _samples(n, size, num_classes):
    samples = []
    for _ in range(n):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, *size)))
        s.set_metainfo(dict(img_shape=size, pad_shape=size))
        samples.append(s)
    return samples


@pytest.mark.parametrize('size', [(45, 45), (6, 6), (33, 47)])
def test_output_is_a_1x1_conv_of_the_last_level(size):
    head = ClassifierHead(in_channels=8, num_classes=5).eval()
    x = torch.randn(2, 8, *size)
    out = head((torch.randn(2, 3, 4, 4), x))
    assert out.shape == (2, 5, *size)
    assert head.channels == 8 and head.dropout is None
    expect = F.conv2d(x, head.conv_seg.weight, head.conv_seg.bias)
    torch.testing.assert_close(out, expect)


def test_in_index_and_dropout():
    head = ClassifierHead(
        in_channels=3, num_classes=4, in_index=0, dropout_ratio=0.5)
    assert head.dropout.p == 0.5
    x = torch.randn(1, 3, 9, 9)
    out = head.eval()((x, torch.randn(1, 8, 2, 2)))
    assert out.shape == (1, 4, 9, 9)
    assert not torch.equal(head.train()((x, ))[0], out[0])


def test_loss_and_predict_follow_mmseg_contract():
    head = ClassifierHead(in_channels=6, num_classes=3)
    head.init_weights()
    inputs = (torch.randn(2, 6, 8, 8), )
    samples = _samples(2, (31, 31), 3)
    losses = head.loss(inputs, samples, train_cfg={})
    # A fresh N(0, 0.01) classifier is near uniform: CE close to log(3).
    assert abs(losses['loss_ce'].item() - torch.log(torch.tensor(3.))) < 0.1
    losses['loss_ce'].backward()
    assert head.conv_seg.weight.grad.abs().sum() > 0
    logits = head.predict(inputs, [s.metainfo for s in samples], {})
    assert logits.shape == (2, 3, 31, 31)


def test_conv_seg_is_initialised_small():
    head = ClassifierHead(in_channels=64, num_classes=21)
    head.init_weights()
    assert 0.005 < head.conv_seg.weight.std() < 0.015


@pytest.mark.parametrize('kwargs, err', [
    (dict(in_channels=0), ValueError),
    (dict(in_channels=(4, 8)), TypeError),
    (dict(channels=16), ValueError),
    (dict(in_index=(0, 1)), TypeError),
    (dict(dropout_ratio=1.0), ValueError),
    (dict(input_transform='resize_concat'), ValueError),
])
def test_bad_arguments_raise(kwargs, err):
    args = dict(in_channels=8, num_classes=5)
    args.update(kwargs)
    with pytest.raises(err, match='expected'):
        ClassifierHead(**args)


def test_starts_as_identity_on_class_scores():
    head = ClassifierHead(in_channels=4, num_classes=4)
    head.init_weights()
    scores = torch.randn(2, 4, 7, 7)
    torch.testing.assert_close(head((scores, )), scores)
    other = ClassifierHead(in_channels=8, num_classes=4)
    other.init_weights()
    assert other.conv_seg.weight.abs().max() < 0.1  # mmseg's normal init
