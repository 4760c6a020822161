# DeepLab-MSc-LargeFOV on the shapes data: the tiny VGG-16's image and pool1
# to pool4 through MSc branches at 1/4 width (32 channels) with BN, like the
# backbone, concatenated with fc7 (256 + 5 x 32 channels).
_base_ = './deeplabv1-largefov_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(
    backbone=dict(
        levels=('input', 'pool1', 'pool2', 'pool3', 'pool4', 'fc7'),
        out_indices=None),
    neck=dict(
        type='MultiScaleBranches',
        in_channels=(3, 16, 32, 64, 128, 256),
        strides=(1, 2, 4, 8, 8, 8),
        channels=32,
        norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(in_channels=256 + 5 * 32))
