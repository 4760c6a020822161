# Mixed, shapes version: narrow VGG-16 LargeFOV (BN, output stride 8) with
# the ASPP neck and the v3+ decoder.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='VGG16',
        channels=(16, 32, 64, 128, 128),
        fc_channels=128,
        output_stride=8,
        fc_type='largefov',
        out_indices=(0, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(in_channels=128, channels=64, dilations=(1, 2, 4, 6)),
    decode_head=dict(
        in_channels=(64, 64),
        in_index=(0, 2),
        channels=64,
        low_level_channels=16,
        num_classes=5),
    auxiliary_head=None)
