# DeepLab-CRF-7x7 on the shapes data: fc6 7x7 at rate 4 and the
# fully-connected CRF with the tiny LargeFOV-CRF settings. Train the base
# config, then test this one on its checkpoint.
_base_ = './deeplabv1-fc6-7x7-r4_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(
    postprocessor=dict(
        type='DenseCRF',
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=30.,
        bi_rgb_std=10.,
        pos_weight=3.,
        pos_xy_std=1.))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8))
]
test_evaluator = val_evaluator
