# DeepLab v3+ as in its paper: aligned Xception-65 at output stride 16, the
# separable ASPP neck at rates (6, 12, 18), the v3+ decoder on the stride-4
# low-level feature.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/datasets/voc12_aug.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_20k.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 512)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='Xception65',
        output_stride=16,
        # TF/timm's BN epsilon, which the ImageNet statistics assume.
        norm_cfg=dict(type='SyncBN', eps=1e-3, requires_grad=True),
        # ImageNet weights: tools/convert_xception65.py on timm's xception65
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/xception65_timm.pth',
            prefix='backbone.')),
    neck=dict(dilations=(1, 6, 12, 18)),
    decode_head=dict(in_channels=(256, 512), in_index=(0, 1), num_classes=21),
    auxiliary_head=None)
