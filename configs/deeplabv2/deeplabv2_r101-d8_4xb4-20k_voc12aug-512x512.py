# DeepLab v2 as in the paper's best VOC model: ResNet-101 and ASPP-L.
_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py', '../_base_/datasets/voc12_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 512)),
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101))
