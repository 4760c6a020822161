# CRF-as-RNN's fine-tuning on the shapes data: the trained network with the
# CRF attached, 500 iterations at a tenth of the shapes schedule's rate
# after a short warm-up; the CRF's parameters take 50x larger steps and no
# weight decay (crfasrnn_finetune_10k.py says why). A leaf config takes
# these as its optim_wrapper, param_scheduler, train_cfg and
# default_hooks (named apart: see crfasrnn_finetune_10k.py).
crfasrnn_max_iters = 500
crfasrnn_optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys=dict(postprocessor=dict(lr_mult=50., decay_mult=0.))))
crfasrnn_param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=20, by_epoch=False),
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=20,
        end=crfasrnn_max_iters,
        by_epoch=False)
]
crfasrnn_train_cfg = dict(
    max_iters=crfasrnn_max_iters, val_interval=crfasrnn_max_iters)
crfasrnn_default_hooks = dict(checkpoint=dict(interval=crfasrnn_max_iters))
