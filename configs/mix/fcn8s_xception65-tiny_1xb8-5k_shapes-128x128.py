# Mixed, shapes version: Xception-65 at 1/4 width with 2 middle-flow blocks
# under FCN-8s skip fusion, 5 classes.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes_5k.py'
]
num_classes = 5
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=32,
        num_middle_blocks=2,
        width_mult=0.25,
        out_indices=(1, 2, 3)),
    neck=dict(in_channels=(64, 184, 512), channels=num_classes),
    decode_head=dict(
        in_channels=num_classes, channels=num_classes,
        num_classes=num_classes))
