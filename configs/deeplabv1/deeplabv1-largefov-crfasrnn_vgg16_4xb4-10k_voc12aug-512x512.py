# DeepLab v1 LargeFOV with the CRF trained inside the network (CRF-as-RNN,
# Zheng et al. 2015): the -crf config's CRF, with its kernel weights and a
# label compatibility (Potts at first) learned end to end; 5 mean-field
# iterations in training, 10 at test. The CRF-as-RNN recipe: fine-tune the
# trained LargeFOV model with the CRF attached,
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the LargeFOV VOC checkpoint>
_base_ = './deeplabv1-largefov-crf_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    postprocessor=dict(
        _delete_=True,
        type='CRFAsRNN',
        num_classes=21,
        train_iters=5,
        test_iters=10,
        bi_weight=4.,
        bi_xy_std=121.,
        bi_rgb_std=5.,
        pos_weight=3.,
        pos_xy_std=3.))
max_iters = 10000
# fine-tuning: a tenth of the base rate; the CRF's few parameters take 50x
# larger steps (at 1x they barely move in a short fine-tuning) and no
# weight decay (it would pull the compatibility towards no CRF at all)
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(
        custom_keys=dict(postprocessor=dict(lr_mult=50., decay_mult=0.))))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
