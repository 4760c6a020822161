# DeepLab v1 LargeFOV with the CRF trained inside the network (CRF-as-RNN)
# on the shapes data: the CRF of deeplabv1-largefov-crf_... (the same widths
# and initial weights) becomes CRFAsRNN, whose kernel weights and label
# compatibility learn with the network: 5 mean-field iterations in
# training, 10 at test. As in CRF-as-RNN, fine-tune a trained LargeFOV
# model with the CRF attached:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the LargeFOV shapes checkpoint>
_base_ = './deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(
    postprocessor=dict(
        _delete_=True,
        type='CRFAsRNN',
        num_classes=5,
        train_iters=5,
        test_iters=10,
        bi_weight=4.,
        bi_xy_std=30.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=1.))
max_iters = 500
# fine-tuning: a tenth of the base schedule's rate; the CRF's few
# parameters take 50x larger steps (at 1x they barely move in a short
# fine-tuning) and no weight decay (it would pull the compatibility towards
# no CRF at all)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys=dict(postprocessor=dict(lr_mult=50., decay_mult=0.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=20, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=20,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
