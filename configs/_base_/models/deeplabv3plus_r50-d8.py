# DeepLab v3+ from segplug's parts: dilated ResNet-50-V1c (output stride 8),
# the ASPP neck with separable branches, the v3+ decoder head.
_base_ = './resnet50-d8.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    neck=dict(
        type='ASPP',
        in_channels=2048,
        channels=512,
        dilations=(1, 12, 24, 36),
        separable=True,
        project_kernel_size=3,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='DeepLabV3PlusHead',
        in_channels=(256, 512),
        in_index=(0, 3),
        channels=512,
        low_level_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
