# PSPNet on the shapes data: a narrow ResNet-18-V1c at output stride 8
# (16x16 features, so the 6x6 bin still pools real regions).
_base_ = [
    '../_base_/models/pspnet_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=16),
    neck=dict(in_channels=128, channels=32),
    decode_head=dict(in_channels=128 + 4 * 32, channels=64, num_classes=5),
    auxiliary_head=None)
