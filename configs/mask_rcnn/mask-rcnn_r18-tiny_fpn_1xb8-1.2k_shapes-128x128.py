# A small Mask R-CNN for the 128x128 shapes data, trained from scratch on
# the CPU: ResNet-18 at a quarter of its width, a 64-channel FPN, anchors
# and RoI budgets scaled to 2-3 objects of 15-80 px per image.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes_instance_1.2k.py',
]
custom_imports = dict(imports=['segplug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(
        in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        # segplug's GatherRoIAlign (mmcv's numbers as a vectorised gather;
        # mmcv's loop-based CPU op is a large share of a CPU step), 2x2
        # samples per bin rather than adaptive ones, which grow with the RoI
        bbox_roi_extractor=dict(
            type='TorchRoIExtractor',
            roi_layer=dict(sampling_ratio=2),
            out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=128, num_classes=4),
        # 7x7 mask features and 14x14 mask targets (mmdet: 14 and 28) are
        # enough for shapes of 15-80 px and cost a quarter
        mask_roi_extractor=dict(
            type='TorchRoIExtractor',
            roi_layer=dict(output_size=7, sampling_ratio=2),
            out_channels=64),
        mask_head=dict(
            num_convs=2, in_channels=64, conv_out_channels=64, num_classes=4)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=128)),
        rpn_proposal=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(sampler=dict(num=64), mask_size=14)),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=20)))
