# DeepLab v2: dilated ResNet-V1c (output stride 8) and ASPP-L in 'sum' mode,
# one 3x3 classifier per rate (6, 12, 18, 24) summed into class scores. The
# neck's channels are the number of classes; the head's 1x1 classifier then
# starts as the identity on those scores. No auxiliary head, as the paper.
_base_ = './resnet50-d8.py'
num_classes = 21
model = dict(
    backbone=dict(out_indices=(3, )),
    neck=dict(
        type='ASPP',
        in_channels=2048,
        channels=num_classes,
        mode='sum',
        dilations=(6, 12, 18, 24)),
    decode_head=dict(
        type='ClassifierHead',
        in_channels=num_classes,
        num_classes=num_classes,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None)
