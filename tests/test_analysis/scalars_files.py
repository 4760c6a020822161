"""scalars.json files as mmengine's LocalVisBackend writes them (lines
copied from a 6-iteration shapes run and an mmdet Mask R-CNN run)."""
import json
import os


def mmseg_lines(first=2, last=6, val_every=3):
    """Training lines every 2 iterations, validation every ``val_every``."""
    lines = []
    for step in range(1, last + 1):
        if step >= first and step % 2 == 0:
            lines.append({
                'lr': 0.002 / step,
                'data_time': 0.018,
                'loss': 1.0 / step,
                'decode.loss_ce': 1.0 / step,
                'decode.acc_seg': 61.3,
                'time': 0.22,
                'iter': step,
                'step': step
            })
        if step >= first and step % val_every == 0:
            lines.append({
                'aAcc': 88.03,
                'mIoU': 10.0 + step,
                'mAcc': 20.0,
                'data_time': 0.03,
                'time': 0.057,
                'step': step
            })
    return lines


def mmdet_epoch_lines():
    return [{
        'lr': 0.02,
        'data_time': 0.01,
        'loss': 2.5,
        'loss_rpn_cls': 0.6,
        'loss_mask': 0.7,
        'time': 0.5,
        'epoch': 1,
        'iter': 10,
        'memory': 812,
        'step': 10
    }, {
        'coco/bbox_mAP': 0.1,
        'coco/bbox_mAP_50': 0.2,
        'coco/bbox_mAP_75': 0.05,
        'coco/bbox_mAP_s': -1.0,
        'coco/segm_mAP': 0.12,
        'coco/segm_mAP_50': 0.22,
        'data_time': 0.01,
        'time': 0.2,
        'step': 1
    }]


def write_run(work_dir, timestamp, lines, tail=''):
    """``<work_dir>/<timestamp>/vis_data/scalars.json``; return its path."""
    folder = os.path.join(work_dir, timestamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'scalars.json')
    with open(path, 'w') as f:
        f.write(''.join(json.dumps(line) + '\n' for line in lines) + tail)
    return path
