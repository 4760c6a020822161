# The short name: the demo's DeepLab v3+ on the synthetic shapes data.
_base_ = './deeplabv3plus/deeplabv3plus_r18-tiny-d16_1xb8-3k_shapes-128x128.py'
