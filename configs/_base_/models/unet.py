# U-Net: contracting encoder (two 3x3 convs and a 2x2 max-pool per level,
# channels doubling) and the decoder head with concatenated skips. Padded
# ('same') convolutions with BN, so whole images predict at full size; the
# paper's unpadded variant is padding='valid' with overlap-tile testing.
norm_cfg = dict(type='SyncBN', requires_grad=True)
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
        type='UNetEncoder',
        in_channels=3,
        base_channels=64,
        num_levels=5,
        padding='same',
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='UNetHead',
        in_channels=(64, 128, 256, 512, 1024),
        in_index=(0, 1, 2, 3, 4),
        channels=64,
        padding='same',
        upsample='deconv',
        num_classes=21,
        dropout_ratio=0.,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
