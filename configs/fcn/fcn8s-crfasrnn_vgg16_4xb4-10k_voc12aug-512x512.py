# FCN-8s with the CRF trained inside the network: CRF-as-RNN (Zheng et al.
# 2015, https://arxiv.org/abs/1502.03240) on its own base network, with
# that paper's kernel widths and initial weights (theta_alpha 160,
# theta_beta 3, theta_gamma 3; w1 5, w2 3), Potts compatibility at first;
# 5 mean-field iterations in training, 10 at test. Fine-tune the trained
# FCN-8s with the CRF attached, as the paper does:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the FCN-8s VOC checkpoint>
_base_ = './fcn8s_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    postprocessor=dict(
        type='CRFAsRNN',
        num_classes=21,
        train_iters=5,
        test_iters=10,
        bi_weight=5.,
        bi_xy_std=160.,
        bi_rgb_std=3.,
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
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8, 16, 32))
]
test_evaluator = val_evaluator
