# DeepLab v1 LargeFOV: VGG-16 with the hole algorithm (pool4 and pool5 keep
# stride 1, later convs dilate; output stride 8), fc6 as a 3x3 conv of
# dilation 12 with 1024 channels, fc7 1x1 1024, dropout 0.5 after each, and a
# 1x1 classifier on fc7.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SegplugEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VGG16',
        output_stride=8,
        fc_type='largefov',
        out_indices=(2, ),
        # ImageNet weights: tools/convert_vgg16.py --fc-type largefov
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_largefov.pth',
            prefix='backbone.')),
    decode_head=dict(
        type='ClassifierHead',
        in_channels=1024,
        num_classes=21,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
