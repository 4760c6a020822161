# DeepLab-CRF-4x4's fc6 (4x4 at rate 8) on the shapes data: the tiny
# LargeFOV model (VGG-16 at 1/4 width with BN, 5 classes) with its fc
# layers at 4x LargeFOV's channels, as 4,096 is to 1,024 on VOC.
_base_ = './deeplabv1-largefov_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(
    backbone=dict(
        fc_type='fcn', fc6_kernel=4, fc6_dilation=8, fc_channels=1024),
    decode_head=dict(in_channels=1024))
