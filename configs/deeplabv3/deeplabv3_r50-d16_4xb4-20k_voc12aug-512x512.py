# Output stride 16: the last stage strides instead of dilating and the ASPP
# rates halve to the v3 paper's (6, 12, 18).
_base_ = './deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1)),
    neck=dict(dilations=(1, 6, 12, 18)))
