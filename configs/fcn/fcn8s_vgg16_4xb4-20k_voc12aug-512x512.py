_base_ = [
    '../_base_/models/fcn8s_vgg16.py', '../_base_/datasets/voc12_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
data_preprocessor = dict(size=(512, 512))
model = dict(data_preprocessor=data_preprocessor)
# VGG-16 has no normalisation layers: a smaller step than BN nets take.
optim_wrapper = dict(optimizer=dict(lr=1e-3, momentum=0.9))
