# The Mask R-CNN shapes schedule: 1.2k iterations of AdamW with clipped
# gradients, a 100-iteration warm-up, then cosine decay. It inherits mmdet's
# runtime rather than sitting beside it in a config's _base_ list, because
# it turns that runtime's epoch-based hooks and log processor iteration-based
# and mmengine refuses a key that two sibling bases both define.
_base_ = 'mmdet::_base_/default_runtime.py'
max_iters = 1200
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=100,
        end=max_iters,
        eta_min=2e-5)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
# Seeded, as the semantic shapes schedules are: unseeded, segm AP50 moves by
# several points from run to run at this length.
randomness = dict(seed=0)
