# DeepLab v3+ from segplug's parts, narrowed (ResNet-18-V1c at 1/4 width) to
# train on the shapes data on a CPU in minutes.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
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
