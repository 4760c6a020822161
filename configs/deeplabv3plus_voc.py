# The short name: DeepLab v3+ R-50-D8 on PASCAL VOC 2012 + SBD, 512x512.
_base_ = './deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'
