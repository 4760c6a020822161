_base_ = './fcn8s_vgg16_4xb4-20k_voc12aug-512x512.py'
model = dict(neck=dict(mode='16s'))
