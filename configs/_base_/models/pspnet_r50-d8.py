# PSPNet from segplug's parts: dilated ResNet-50-V1c (output stride 8), the
# pyramid pooling neck (bins 1, 2, 3, 6), then mmseg's FCNHead as the 3x3
# conv and classifier (as mmseg's PSPHead, so its checkpoints convert).
_base_ = './resnet50-d8.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    neck=dict(
        type='PyramidPooling',
        in_channels=2048,
        channels=512,
        bins=(1, 2, 3, 6),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='FCNHead',
        in_channels=2048 + 4 * 512,
        in_index=3,
        channels=512,
        num_convs=1,
        kernel_size=3,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
