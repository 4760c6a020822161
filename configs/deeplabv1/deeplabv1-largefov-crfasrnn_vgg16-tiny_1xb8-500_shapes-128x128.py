# DeepLab v1 LargeFOV with the CRF trained inside the network (CRF-as-RNN)
# on the shapes data: the CRF of deeplabv1-largefov-crf_... (the same widths
# and initial weights) becomes CRFAsRNN, whose kernel weights and label
# compatibility learn with the network: 5 mean-field iterations in
# training, 10 at test. As in CRF-as-RNN, fine-tune a trained LargeFOV
# model with the CRF attached:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the LargeFOV shapes checkpoint>
_base_ = [
    './deeplabv1-largefov-crf_vgg16-tiny_1xb8-2.5k_shapes-128x128.py',
    '../_base_/schedules/crfasrnn_finetune_shapes_500.py'
]
model = dict(
    postprocessor=dict(
        _delete_=True,
        type='CRFAsRNN',
        num_classes=5,
        train_iters=5,
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=30.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=1.))
max_iters = _base_.crfasrnn_max_iters
optim_wrapper = _base_.crfasrnn_optim_wrapper
param_scheduler = _base_.crfasrnn_param_scheduler
train_cfg = _base_.crfasrnn_train_cfg
default_hooks = _base_.crfasrnn_default_hooks
