# DeepLab v3+ on Xception-65, shapes version: 1/4 width and 2 middle-flow
# blocks instead of 16, so it trains from scratch on a CPU in minutes.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=16,
        num_middle_blocks=2,
        width_mult=0.25),
    neck=dict(in_channels=512, channels=64, dilations=(1, 2, 4, 6)),
    decode_head=dict(
        in_channels=(64, 64),
        in_index=(0, 1),
        channels=64,
        low_level_channels=16,
        num_classes=5),
    auxiliary_head=None)
