# DeepLab v3 from segplug's parts: dilated ResNet-50-V1c (output stride 8),
# the ASPP neck in 'concat' mode with image pooling and a 3x3 projection (as
# mmseg's ASPPHead, so its checkpoints convert), a 1x1 classifier.
_base_ = './resnet50-d8.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    neck=dict(
        type='ASPP',
        in_channels=2048,
        channels=512,
        dilations=(1, 12, 24, 36),
        project_kernel_size=3,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='ClassifierHead',
        in_channels=512,
        dropout_ratio=0.1,
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
