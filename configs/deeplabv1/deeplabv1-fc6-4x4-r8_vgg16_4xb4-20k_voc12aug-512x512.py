# DeepLab v1's DeepLab-CRF-4x4 (the paper's Table 2) without its CRF:
# VGG-16 with the hole algorithm (output stride 8), fc6 4x4 at rate
# ("input stride") 8 with 4,096 channels, fc7 1x1 4,096. fc6 is the
# ImageNet 7x7 decimated to taps [0, 2, 4, 6]; at rate 8 each reads the
# image offset it was trained on, the 7x7's field of view. The LargeFOV
# recipe otherwise, so that only fc6 differs.
_base_ = './deeplabv1-largefov_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        fc_type='fcn',
        fc6_kernel=4,
        fc6_dilation=8,
        # ImageNet weights: tools/convert_vgg16.py --fc6-kernel 4
        init_cfg=dict(checkpoint='checkpoints/vgg16_fc6-4x4.pth')),
    decode_head=dict(in_channels=4096))
