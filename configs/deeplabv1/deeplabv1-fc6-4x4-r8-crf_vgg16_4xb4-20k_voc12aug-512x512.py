# DeepLab v1's DeepLab-CRF-4x4 (the paper's Table 2): fc6 4x4 at rate 8,
# 4,096 channels, and the fully-connected CRF with the LargeFOV settings,
# 10 mean-field iterations; boundary (trimap) mIoU beside mIoU. The CRF is
# a test-time step: train the base config, then
#   python tools/test.py <this config> <its checkpoint>
_base_ = './deeplabv1-fc6-4x4-r8_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(
    postprocessor=dict(
        type='DenseCRF',
        num_iters=10,
        bi_weight=4.,
        bi_xy_std=121.,
        bi_rgb_std=5.,
        pos_weight=3.,
        pos_xy_std=3.))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='TrimapIoUMetric', widths=(1, 2, 4, 8, 16, 32))
]
test_evaluator = val_evaluator
