# DeepLab-MSc-LargeFOV: a two-layer MLP (128 3x3 convs, then 128 1x1) on the
# image and on pool1 to pool4, each brought to fc7's stride 8 by its first
# conv's stride (8, 4, 2, 1, 1), concatenated with fc7 (1024 + 5 x 128
# channels) before the classifier. Here the whole model trains from the
# ImageNet weights, as the LargeFOV base does; the paper instead trains only
# the new weights on top of a trained DeepLab-LargeFOV.
_base_ = './deeplabv1-largefov_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        levels=('input', 'pool1', 'pool2', 'pool3', 'pool4', 'fc7'),
        out_indices=None),
    neck=dict(
        type='MultiScaleBranches',
        in_channels=(3, 64, 128, 256, 512, 1024),
        strides=(1, 2, 4, 8, 8, 8)),
    decode_head=dict(in_channels=1024 + 5 * 128))
