# Mixed: ResNet-50-V1c, PSPNet's pyramid pooling on the last stage, and the
# U-Net decoder concatenating every ResNet stage back in on the way up.
_base_ = './unet-head_r50_4xb4-20k_voc12aug-512x512.py'
model = dict(
    neck=dict(
        type='PyramidPooling',
        in_channels=2048,
        channels=512,
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    decode_head=dict(in_channels=(256, 512, 1024, 2048 + 4 * 512)))
