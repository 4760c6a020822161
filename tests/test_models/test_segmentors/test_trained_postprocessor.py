"""A segmentor with the CRF trained inside it (``CRFAsRNN`` as its
postprocessor): the loss is the decode head's on the refined logits, the
raw loss optional and weighted, gradients reach the network and the CRF,
any decode head works, and mismatched heads are refused."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from segplug.models.segmentors.postprocessor_inputs import unnormalized_input

NUM_CLASSES = 3
CRF = dict(
    type='CRFAsRNN',
    num_classes=NUM_CLASSES,
    train_iters=2,
    num_iters=3,
    bi_xy_std=8.,
    bi_rgb_std=15.,
    pos_xy_std=1.)
UNET_HEAD = dict(
    type='UNetHead',
    in_channels=(4, 8),
    channels=4,
    num_classes=NUM_CLASSES,
    padding='same')
# mmseg's own head on the same encoder's last level
FCN_HEAD = dict(
    type='FCNHead',
    in_channels=8,
    in_index=1,
    channels=4,
    num_convs=1,
    num_classes=NUM_CLASSES)


def _model(postprocessor=CRF, decode_head=UNET_HEAD):
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
            decode_head=decode_head,
            postprocessor=postprocessor))
    model.init_weights()
    return model


def _batch(n=2, h=20, w=26, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, h, w, generator=g)
    samples = []
    for _ in range(n):
        sample = SegDataSample(
            metainfo=dict(img_shape=(h, w), pad_shape=(h, w)))
        label = torch.randint(0, NUM_CLASSES, (1, h, w), generator=g)
        label[0, 0, :5] = 255  # ignored
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return inputs, samples


def _expected_loss(model, inputs, samples):
    """The cross-entropy of the CRF's refinement of the upsampled logits,
    computed here from the parts."""
    logits = model.decode_head.forward(model.extract_feat(inputs))
    logits = F.interpolate(
        logits, size=inputs.shape[2:], mode='bilinear', align_corners=False)
    refined = torch.stack([
        model.postprocessor.refine(
            logits[i].log_softmax(0),
            unnormalized_input(inputs[i], None, model.data_preprocessor), 2)
        for i in range(len(inputs))
    ])
    return logits, _mmseg_ce(refined, samples)


def _mmseg_ce(logits, samples):
    """mmseg's CrossEntropyLoss default: ignored pixels count in the mean
    (avg_non_ignore=False)."""
    labels = torch.cat([s.gt_sem_seg.data for s in samples])
    return F.cross_entropy(
        logits, labels, ignore_index=255, reduction='sum') / labels.numel()


@pytest.mark.parametrize('head', [UNET_HEAD, FCN_HEAD], ids=['unet', 'fcn'])
def test_loss_is_the_decode_heads_on_the_refined_logits(head):
    model = _model(decode_head=head)
    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    model.eval()  # the same forward without dropout's randomness
    losses = model.loss(inputs, samples)
    _, expected = _expected_loss(model, inputs, samples)
    torch.testing.assert_close(losses['decode.loss_ce'], expected)


def test_gradients_reach_the_network_and_the_crf():
    model = _model()
    model.train()
    losses = model.loss(*_batch())
    losses['decode.loss_ce'].backward()
    crf = model.postprocessor
    for name in ('bi_weight', 'pos_weight', 'compat'):
        assert getattr(crf, name).grad.abs().sum() > 0, name
    conv = next(model.backbone.parameters())
    assert conv.grad is not None and conv.grad.abs().sum() > 0


def test_the_raw_loss_is_added_with_its_weight():
    model = _model(postprocessor=dict(CRF, raw_loss_weight=0.4))
    model.eval()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    logits, refined = _expected_loss(model, inputs, samples)
    raw = _mmseg_ce(logits, samples)
    torch.testing.assert_close(losses['decode.loss_ce'], refined)
    torch.testing.assert_close(losses['decode_raw.loss_ce'], 0.4 * raw)
    assert 'decode_raw.acc_seg' in losses


def test_a_post_hoc_crf_leaves_the_loss_alone():
    inputs, samples = _batch()
    plain, post_hoc = _model(None), _model(dict(type='DenseCRF'))
    for model in (plain, post_hoc):
        model.eval()
    torch.testing.assert_close(
        plain.loss(inputs, samples)['decode.loss_ce'],
        post_hoc.loss(inputs, samples)['decode.loss_ce'])


@torch.no_grad()
def test_at_its_initial_parameters_it_predicts_as_the_post_hoc_crf():
    settings = {k: v for k, v in CRF.items() if k.endswith('_std')}
    trained = _model()
    post_hoc = _model(dict(type='DenseCRF', num_iters=3, **settings))
    post_hoc.load_state_dict(trained.state_dict(), strict=False)
    rgb = torch.randint(0, 256, (3, 24, 30)).float()
    inputs = ((rgb - trained.data_preprocessor.mean) /
              trained.data_preprocessor.std)[None]
    labels = [
        m.eval().predict(inputs)[0].pred_sem_seg.data
        for m in (trained, post_hoc)
    ]
    assert torch.equal(*labels)


def test_a_head_of_another_class_count_is_refused():
    with pytest.raises(
            ValueError, match='num_classes is 3 but the decode '
            'head has 4'):
        _model(decode_head=dict(UNET_HEAD, num_classes=4))


def test_a_sigmoid_head_is_refused():
    head = dict(
        UNET_HEAD,
        num_classes=2,
        out_channels=1,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True))
    with pytest.raises(ValueError, match='one output channel'):
        _model(postprocessor=dict(CRF, num_classes=2), decode_head=head)
