# FCN-8s with the CRF trained inside the network: CRF-as-RNN (Zheng et al.
# 2015, https://arxiv.org/abs/1502.03240) on its own base network, with
# that paper's kernel widths and initial weights (theta_alpha 160,
# theta_beta 3, theta_gamma 3; w1 5, w2 3), Potts compatibility at first,
# and its code's normalisation of the messages (by rows, D^-1 K); 5
# mean-field iterations in training, 10 at test. Fine-tune the trained
# FCN-8s with the CRF attached, as the paper does:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the FCN-8s VOC checkpoint>
_base_ = [
    './fcn8s_vgg16_4xb4-20k_voc12aug-512x512.py',
    '../_base_/schedules/crfasrnn_finetune_10k.py'
]
model = dict(
    postprocessor=dict(
        type='CRFAsRNN',
        num_classes=21,
        train_iters=5,
        num_iters=10,
        bi_weight=5.,
        bi_xy_std=160.,
        bi_rgb_std=3.,
        pos_weight=3.,
        pos_xy_std=3.,
        normalization='row'))
max_iters = _base_.crfasrnn_max_iters
optim_wrapper = _base_.crfasrnn_optim_wrapper
param_scheduler = _base_.crfasrnn_param_scheduler
train_cfg = _base_.crfasrnn_train_cfg
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8, 16, 32))
]
test_evaluator = val_evaluator
