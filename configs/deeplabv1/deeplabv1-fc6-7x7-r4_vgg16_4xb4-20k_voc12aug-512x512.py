# DeepLab v1's DeepLab-CRF-7x7 (the paper's Table 2) without its CRF:
# VGG-16 with the hole algorithm (output stride 8), fc6 7x7 at rate
# ("input stride") 4 with 4,096 channels, fc7 1x1 4,096. This is the
# ImageNet fc6 as it is: at rate 4 its taps read the image offsets they
# were trained on. The LargeFOV recipe otherwise, so that only fc6 differs.
_base_ = './deeplabv1-largefov_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(
        fc_type='fcn',
        fc6_kernel=7,
        fc6_dilation=4,
        # ImageNet weights: tools/convert_vgg16.py
        init_cfg=dict(checkpoint='checkpoints/vgg16_fcn.pth')),
    decode_head=dict(in_channels=4096))
