# Mixed, shapes version: narrow ResNet-18-V1c, pyramid pooling on the last
# stage (4x4 features, so bins (1, 2, 4)), the U-Net decoder.
_base_ = './unet-head_r18-tiny_1xb8-5k_shapes-128x128.py'
model = dict(
    neck=dict(
        type='PyramidPooling',
        in_channels=128,
        channels=32,
        bins=(1, 2, 4),
        norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(in_channels=(16, 32, 64, 128 + 3 * 32)))
