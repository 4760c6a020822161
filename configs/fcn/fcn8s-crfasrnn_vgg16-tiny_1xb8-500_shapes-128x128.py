# FCN-8s with the CRF trained inside the network (CRF-as-RNN) on the shapes
# data, with the shapes CRF settings of DeepLab v1's -crf config (the
# spatial widths shrink with the 128x128 images, the colour width grows
# with their noise) and CRF-as-RNN's normalisation by rows, as the VOC
# config. Fine-tune a trained FCN-8s shapes model:
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the FCN-8s shapes checkpoint>
_base_ = [
    './fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py',
    '../_base_/schedules/crfasrnn_finetune_shapes_500.py'
]
model = dict(
    postprocessor=dict(
        type='CRFAsRNN',
        num_classes=5,
        train_iters=5,
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=30.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=1.,
        normalization='row'))
max_iters = _base_.crfasrnn_max_iters
optim_wrapper = _base_.crfasrnn_optim_wrapper
param_scheduler = _base_.crfasrnn_param_scheduler
train_cfg = _base_.crfasrnn_train_cfg
default_hooks = _base_.crfasrnn_default_hooks
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8))
]
test_evaluator = val_evaluator
