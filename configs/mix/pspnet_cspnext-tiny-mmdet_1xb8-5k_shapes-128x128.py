# Mixed across registries: mmdet's CSPNeXt (RTMDet's backbone, tiny: 1/6
# depth, 1/4 width), stage 3 at stride 8, under segplug's pyramid pooling
# neck and mmseg's FCNHead, on the shapes data. 'mmdet.' picks the class
# from mmdet's registry inside this mmseg-scoped config.
_base_ = ['../pspnet/pspnet_r18-tiny-d8_1xb8-5k_shapes-128x128.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmdet.CSPNeXt',
        arch='P5',
        deepen_factor=0.167,
        widen_factor=0.25,
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(in_channels=64, channels=32),
    decode_head=dict(in_channels=64 + 4 * 32, in_index=0))
