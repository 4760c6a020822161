_base_ = [
    '../_base_/models/deeplabv1_vgg16-largefov.py',
    '../_base_/datasets/voc12_aug.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_20k.py'
]
model = dict(data_preprocessor=dict(size=(512, 512)))
# VGG-16 has no normalisation layers: the paper's step of 1e-3.
optim_wrapper = dict(optimizer=dict(lr=1e-3, momentum=0.9))
