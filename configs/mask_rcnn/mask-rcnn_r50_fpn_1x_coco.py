# Mask R-CNN R-50-FPN, 1x schedule (12 epochs) on COCO 2017, exactly as
# mmdet configures it, read from data/coco (annotations/instances_{train,
# val}2017.json, {train,val}2017/) and evaluated with CocoMetric (bbox and
# segm). segplug's CheckedCocoDataset names bad annotations instead of
# failing on them or dropping them silently.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['segplug'], allow_failed_imports=False)
data_root = 'data/coco/'
train_dataloader = dict(
    dataset=dict(type='CheckedCocoDataset', data_root=data_root))
val_dataloader = dict(
    dataset=dict(type='CheckedCocoDataset', data_root=data_root))
test_dataloader = val_dataloader
