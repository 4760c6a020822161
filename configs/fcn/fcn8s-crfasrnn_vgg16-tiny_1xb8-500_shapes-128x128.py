# FCN-8s with the CRF trained inside the network (CRF-as-RNN) on the shapes
# data, with the shapes CRF settings of DeepLab v1's -crf config (the
# spatial widths shrink with the 128x128 images, the colour width grows
# with their noise). Fine-tune a trained FCN-8s shapes model:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the FCN-8s shapes checkpoint>
_base_ = './fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(
    postprocessor=dict(
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
# parameters take 50x larger steps and no weight decay (see the DeepLab v1
# CRF-as-RNN config)
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
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8))
]
test_evaluator = val_evaluator
