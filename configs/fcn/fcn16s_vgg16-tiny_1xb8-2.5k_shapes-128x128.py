_base_ = './fcn8s_vgg16-tiny_1xb8-2.5k_shapes-128x128.py'
model = dict(neck=dict(mode='16s'))
