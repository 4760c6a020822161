# Mixed: VGG-16 LargeFOV with the hole algorithm (output stride 8) feeding
# segplug's ASPP neck and the DeepLab v3+ decoder, pool3 as the low level.
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
        type='VGG16',
        output_stride=8,
        fc_type='largefov',
        out_indices=(0, 1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_largefov.pth',
            prefix='backbone.')),
    neck=dict(in_channels=1024),
    decode_head=dict(in_channels=(256, 512), in_index=(0, 2), num_classes=21),
    auxiliary_head=None)
