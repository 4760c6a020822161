# Mixed, shapes version: a narrow ResNet-18-V1c under the U-Net decoder.
_base_ = [
    '../_base_/models/unet.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(
        in_channels=(16, 32, 64, 128),
        in_index=(0, 1, 2, 3),
        channels=16,
        num_classes=5))
