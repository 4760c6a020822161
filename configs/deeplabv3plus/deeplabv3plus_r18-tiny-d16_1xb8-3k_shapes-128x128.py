# DeepLab v3+ from segplug's parts, narrowed (ResNet-18-V1c at 1/4 width) to
# train on the shapes data on a CPU in minutes: the demo. At AdamW's 8e-3
# the narrow network leaves the objects-against-background plateau (about
# 30 mIoU) in well under 1,000 iterations and passes 80 by 3,000; at the
# shapes schedule's 2e-3 it needs 2,000 to leave it and 5,000 for 80.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes.py'
]
max_iters = 3000
optim_wrapper = dict(optimizer=dict(lr=8e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-5,
        power=0.9,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    pretrained=None,
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        dilations=(1, 1, 1, 2),
        strides=(1, 2, 2, 1)),
    neck=dict(in_channels=128, channels=64, dilations=(1, 2, 4, 6)),
    decode_head=dict(
        in_channels=(16, 64),
        channels=64,
        low_level_channels=16,
        num_classes=5),
    auxiliary_head=None)
