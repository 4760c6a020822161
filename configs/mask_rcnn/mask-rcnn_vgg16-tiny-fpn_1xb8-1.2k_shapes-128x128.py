# Mixed, shapes version: a narrow VGG-16 with BN from segplug (mmseg's
# registry) under mmdet's FPN and Mask R-CNN heads.
_base_ = ['./mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.VGG16',
        channels=(16, 32, 64, 128, 128),
        fc_type='largefov',
        fc_channels=128,
        dropout=0.,
        out_indices=(0, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(in_channels=[64, 128, 128]),
    rpn_head=dict(anchor_generator=dict(strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64]),
        mask_roi_extractor=dict(featmap_strides=[8, 16, 32, 64])))
