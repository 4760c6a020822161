# U-Net on the shapes data: 4 levels from 16 channels; the border-weighted
# loss of the paper and elastic deformation in training; overlap-tile
# inference at test time.
_base_ = [
    '../_base_/models/unet.py', '../_base_/datasets/shapes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_shapes.py'
]
model = dict(
    channels_last=True,  # NHWC convolutions: faster CPU training
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(base_channels=16, num_levels=4),
    decode_head=dict(
        in_channels=(16, 32, 64, 128),
        in_index=(0, 1, 2, 3),
        channels=16,
        num_classes=5,
        loss_decode=dict(
            _delete_=True,
            type='BorderWeightedCrossEntropyLoss',
            w0=10.,
            sigma=5.)),
    test_cfg=dict(mode='overlap_tile', tile_size=(64, 64), margin=(32, 32)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ElasticDeformation', grid=(3, 3), sigma=4., prob=0.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
