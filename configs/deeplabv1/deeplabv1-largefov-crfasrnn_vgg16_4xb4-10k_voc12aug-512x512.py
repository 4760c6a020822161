# DeepLab v1 LargeFOV with the CRF trained inside the network (CRF-as-RNN,
# Zheng et al. 2015): the -crf config's CRF, with its kernel weights and a
# label compatibility (Potts at first) learned end to end; 5 mean-field
# iterations in training, 10 at test. The CRF-as-RNN recipe: fine-tune the
# trained LargeFOV model with the CRF attached,
#   python tools/train.py <this config> \
#       --cfg-options load_from=<the LargeFOV VOC checkpoint>
_base_ = [
    './deeplabv1-largefov-crf_vgg16_4xb4-20k_voc12aug-512x512.py',
    '../_base_/schedules/crfasrnn_finetune_10k.py'
]
model = dict(
    postprocessor=dict(
        _delete_=True,
        type='CRFAsRNN',
        num_classes=21,
        train_iters=5,
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=121.,
        bi_rgb_std=5.,
        pos_weight=3.,
        pos_xy_std=3.))
max_iters = _base_.crfasrnn_max_iters
optim_wrapper = _base_.crfasrnn_optim_wrapper
param_scheduler = _base_.crfasrnn_param_scheduler
train_cfg = _base_.crfasrnn_train_cfg
