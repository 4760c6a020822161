# FCN-8s: convolutionalized VGG-16 (fc6 7x7, 4096 channels), class scores
# of fc7, pool4 and pool3 fused by bilinear-initialised 2x transposed convs.
# The fusion works on class scores as in the paper, so the neck's channels
# equal the number of classes; the head is the final classifier.
num_classes = 21
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
        output_stride=32,
        fc_type='fcn',
        out_indices=(0, 1, 2),
        # ImageNet weights: tools/convert_vgg16.py on torchvision's vgg16
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vgg16_fcn.pth',
            prefix='backbone.')),
    neck=dict(
        type='FCNSkipFusion',
        in_channels=(256, 512, 4096),
        channels=num_classes,
        mode='8s'),
    decode_head=dict(
        type='ClassifierHead',
        in_channels=num_classes,
        channels=num_classes,
        num_classes=num_classes,
        dropout_ratio=0.,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
