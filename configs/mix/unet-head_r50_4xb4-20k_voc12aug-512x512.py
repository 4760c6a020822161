# Mixed: mmseg's ResNet-50-V1c (strides 4..32) under segplug's U-Net decoder,
# which concatenates each ResNet stage back in on the way up.
_base_ = [
    '../_base_/models/unet.py', '../_base_/datasets/voc12_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='SegplugEncoderDecoder',
    data_preprocessor=dict(size=(512, 512)),
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        style='pytorch'),
    decode_head=dict(
        in_channels=(256, 512, 1024, 2048), in_index=(0, 1, 2, 3)))
