# Mixed across registries: segplug's VGG-16 (registered in mmseg's
# registry, hence 'mmseg.VGG16') as the backbone of mmdet's Mask R-CNN,
# from the converted ImageNet weights (tools/convert_vgg16.py), fc6/fc7 as
# 1024-channel convs (LargeFOV). pool3, pool4 and fc7 (strides 8, 16, 32)
# feed the FPN, which adds strides 64 and 128.
_base_ = ['./mask-rcnn_r50_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.VGG16',
        output_stride=32,
        fc_type='largefov',
        dropout=0.,
        out_indices=(0, 1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_largefov.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[256, 512, 1024]),
    rpn_head=dict(anchor_generator=dict(strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64]),
        mask_roi_extractor=dict(featmap_strides=[8, 16, 32, 64])))
