# The shapes schedule at 5k iterations: the narrow ResNets need about 2k
# before they tell the outlines apart.
_base_ = './schedule_shapes.py'
max_iters = 5000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-5,
        power=0.9,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
