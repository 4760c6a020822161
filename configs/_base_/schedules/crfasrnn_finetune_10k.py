# CRF-as-RNN's fine-tuning on VOC (Zheng et al. 2015): the trained network
# with the CRF attached, 10,000 iterations at a tenth of the base rate; the
# CRF's few parameters take 50x larger steps (at 1x they barely move in a
# short fine-tuning) and no weight decay (it would pull the compatibility
# towards no CRF at all).
# A leaf config lists this file beside its network's config and takes these
# as its optim_wrapper, param_scheduler and train_cfg: mmengine refuses a
# key that two bases of one list both define, so they are named apart.
crfasrnn_max_iters = 10000
crfasrnn_optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(
        custom_keys=dict(postprocessor=dict(lr_mult=50., decay_mult=0.))))
crfasrnn_param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=0,
        end=crfasrnn_max_iters,
        by_epoch=False)
]
crfasrnn_train_cfg = dict(max_iters=crfasrnn_max_iters, val_interval=2000)
