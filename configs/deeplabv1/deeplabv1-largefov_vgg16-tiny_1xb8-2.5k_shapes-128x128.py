# DeepLab v1 LargeFOV on the shapes data: VGG-16 at 1/4 width with BN (so it
# trains from scratch on a CPU in minutes), 5 classes.
_base_ = [
    '../_base_/models/deeplabv1_vgg16-largefov.py',
    '../_base_/datasets/shapes.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_shapes.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        channels=(16, 32, 64, 128, 128),
        fc_channels=256,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    decode_head=dict(in_channels=256, num_classes=5))
