# Output stride 16: the last stage strides instead of dilating, and the ASPP
# rates halve, as in the v3+ paper's default.
_base_ = './deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'
model = dict(
    backbone=dict(dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1)),
    neck=dict(dilations=(1, 6, 12, 18)))
