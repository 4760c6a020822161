# Mixed: aligned Xception-65 at output stride 32 under FCN-8s skip fusion,
# its stride-8, stride-16 (middle flow) and last features scored and fused
# as pool3, pool4 and fc7 are in FCN.
_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/voc12_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 512)),
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=32,
        out_indices=(1, 2, 3),
        norm_cfg=dict(type='SyncBN', eps=1e-3, requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/xception65_timm.pth',
            prefix='backbone.')),
    neck=dict(in_channels=(256, 728, 2048)))
