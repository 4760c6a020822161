# Output stride 16 (8x8 features): the last stage strides, the rates halve.
_base_ = './deeplabv3_r18-tiny-d8_1xb8-5k_shapes-128x128.py'
model = dict(
    backbone=dict(dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1)),
    neck=dict(dilations=(1, 2, 4, 6)))
