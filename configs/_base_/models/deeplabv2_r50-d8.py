# DeepLab v2: dilated ResNet-V1c (output stride 8) and ASPP-L in 'sum' mode,
# one 3x3 classifier per rate (6, 12, 18, 24) summed into class scores. The
# neck's channels are the number of classes; the head's 1x1 classifier then
# starts as the identity on those scores.
num_classes = 21
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    neck=dict(
        type='ASPP',
        in_channels=2048,
        channels=num_classes,
        mode='sum',
        dilations=(6, 12, 18, 24)),
    decode_head=dict(
        type='ClassifierHead',
        in_channels=num_classes,
        num_classes=num_classes,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
