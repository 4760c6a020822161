# segplug's ASPP neck and v3+ head on mmseg's MobileNetV2 backbone.
_base_ = './deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    neck=dict(in_channels=320),
    decode_head=dict(in_channels=(24, 512)),
    auxiliary_head=dict(in_channels=96))
