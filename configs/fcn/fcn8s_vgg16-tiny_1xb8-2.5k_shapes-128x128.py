# FCN-8s on the shapes data: VGG-16 at 1/4 width with BN (so it trains from
# scratch on a CPU in minutes), 5 classes.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes.py'
]
num_classes = 5
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        channels=(16, 32, 64, 128, 128),
        fc_channels=256,
        norm_cfg=norm_cfg,
        init_cfg=None),
    neck=dict(in_channels=(64, 128, 256), channels=num_classes),
    decode_head=dict(
        in_channels=num_classes, channels=num_classes,
        num_classes=num_classes))
