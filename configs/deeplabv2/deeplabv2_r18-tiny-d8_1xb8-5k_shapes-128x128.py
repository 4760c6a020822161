# DeepLab v2 on the shapes data: a narrow ResNet-18-V1c at output stride 8
# (16x16 features), ASPP-L's four rates scaled to that size.
_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
num_classes = 5
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=16),
    neck=dict(in_channels=128, channels=num_classes, dilations=(2, 4, 6, 8)),
    decode_head=dict(in_channels=num_classes, num_classes=num_classes))
