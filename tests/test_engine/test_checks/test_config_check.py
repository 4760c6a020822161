import copy
import glob
import os
import os.path as osp

import pytest

from segplug.engine import ConfigError, check_config, load_config
from segplug.engine.checks.config.accepted_keys import accepted_keys
from tests.utils import read_log, shapes_options

SHAPES = 'configs/deeplabv3plus_shapes.py'
MASK_RCNN = ('configs/mask_rcnn/'
             'mask-rcnn_r18-tiny_fpn_1xb8-1.2k_shapes-128x128.py')


def problem(repo_root, options, config=SHAPES, edit=None) -> str:
    """The message check_config raises on ``config`` with ``options``."""
    cfg = load_config(osp.join(repo_root, config), cfg_options=options)
    if edit is not None:
        edit(cfg)
    with pytest.raises(ConfigError) as info:
        check_config(cfg)
    message = str(info.value)
    assert '\n' not in message
    return message


def test_misspelt_hook_key_stops_train_before_iteration_1(
        repo_root, run_tool_in_process, shapes_root, tmp_path):
    work = str(tmp_path / 'work')
    with pytest.raises(SystemExit) as info:
        run_tool_in_process(
            ['tools/train.py', SHAPES, '--work-dir', work] + shapes_options(
                shapes_root, 2, extra=['default_hooks.checkpoint.intervl=1']))
    assert info.value.code == (
        "error: default_hooks.checkpoint: CheckpointHook has no argument "
        "'intervl'; did you mean 'interval'?")
    assert 'Iter(train)' not in read_log(work)
    saved = glob.glob(osp.join(work, '**', '*.pth'), recursive=True)
    assert saved == []


@pytest.mark.parametrize('option, expected', [
    ('optim_wrapper.optimizer.lrr', "optim_wrapper.optimizer: AdamW has no "
     "argument 'lrr'; did you mean 'lr'?"),
    ('train_dataloader.batch_szie', "train_dataloader: DataLoader has no "
     "argument 'batch_szie'; did you mean 'batch_size'?"),
    ('model.decode_head.dropout_rate', "model.decode_head: DeepLabV3PlusHead "
     "has no argument 'dropout_rate'; did you mean 'dropout_ratio'?"),
    ('train_dataloader.dataset.pipeline.2.porb',
     "train_dataloader.dataset.pipeline.2: RandomFlip has no argument "
     "'porb'; did you mean 'prob'?"),
    ('train_dataloader.dataset.reduce_zero_lable',
     "train_dataloader.dataset: ShapesDataset has no argument "
     "'reduce_zero_lable'; did you mean 'reduce_zero_label'?"),
    ('model.decode_head.loss_decode.avg_non_ignor',
     "model.decode_head.loss_decode: CrossEntropyLoss has no argument "
     "'avg_non_ignor'; did you mean 'avg_non_ignore'?"),
    ('param_scheduler.1.eta_mn', "param_scheduler.1: PolyLR has no "
     "argument 'eta_mn'; did you mean 'eta_min'?"),
    ('train_cfg.max_iter', "train_cfg: IterBasedTrainLoop has no argument "
     "'max_iter'; did you mean 'max_iters'?"),
    ('val_evaluator.iou_metric', "val_evaluator: IoUMetric has no argument "
     "'iou_metric'; did you mean 'iou_metrics'?"),
])
def test_misspelt_key_named_with_nearest(repo_root, option, expected):
    assert problem(repo_root, {option: 1}) == expected


def test_nested_tta_transform_key(repo_root):

    def use_tta_pipeline(cfg):
        pipeline = copy.deepcopy(cfg.tta_pipeline)
        pipeline[1]['transforms'][0][2]['keep_ratoi'] = True
        cfg.test_dataloader.dataset.pipeline = pipeline

    assert problem(
        repo_root, {}, edit=use_tta_pipeline) == (
            'test_dataloader.dataset.pipeline.1.transforms.0.2: Resize has no '
            "argument 'keep_ratoi'; did you mean 'keep_ratio'?")


def test_unknown_types_name_closest_registered(repo_root):
    message = problem(repo_root, {'default_hooks.logger.type': 'LogerHook'})
    assert message.startswith("default_hooks.logger.type: 'LogerHook' is "
                              "not registered in mmseg's HOOKS; closest: "
                              "'LoggerHook'")
    message = problem(repo_root,
                      {'model.decode_head.type': 'DeepLabV3PlusHaed'})
    assert message.startswith("model.decode_head.type: 'DeepLabV3PlusHaed'"
                              " is not registered in mmseg's MODELS")
    assert "closest: 'DeepLabV3PlusHead'" in message
    # a scope prefix is kept, and mmdet's task utilities are parts too
    message = problem(
        repo_root, {
            'model.roi_head.bbox_head.type': 'mmdet.Shared2FCBoxHead',
            'model.rpn_head.anchor_generator.scale': [4]
        },
        config=MASK_RCNN)
    assert message.startswith('2 config problems: (1) model.rpn_head.'
                              'anchor_generator: AnchorGenerator has no '
                              "argument 'scale'; did you mean 'scales'?; "
                              '(2) model.roi_head.bbox_head.type: '
                              "'mmdet.Shared2FCBoxHead' is not registered "
                              "in mmdet's MODELS")
    assert "closest: 'mmdet.Shared2FCBBoxHead'" in message


def test_all_key_problems_in_one_line(repo_root):
    message = problem(
        repo_root, {
            'default_hooks.checkpoint.intervl':
            1,
            'custom_hooks':
            [dict(type='EmptyCacheHook', priority='LOW', after_ite=True)],
            'model.decode_head.num_classes':
            4,
        })
    assert message == (
        "3 config problems: (1) default_hooks.checkpoint: CheckpointHook "
        "has no argument 'intervl'; did you mean 'interval'?; (2) "
        "custom_hooks.0: EmptyCacheHook has no argument 'after_ite'; did "
        "you mean 'after_iter'?; (3) model.decode_head.num_classes=4 but "
        'train_dataloader.dataset (ShapesDataset) has 5 classes '
        '(background, circle, ...); set model.decode_head.num_classes=5')


def test_num_classes_against_dataset_classes(repo_root):
    message = problem(
        repo_root, {'model.roi_head.mask_head.num_classes': 5},
        config=MASK_RCNN)
    assert message == (
        'model.roi_head.mask_head.num_classes=5 but train_dataloader.dataset'
        ' (CheckedCocoDataset) has 4 classes (circle, square, ...); set '
        'model.roi_head.mask_head.num_classes=4')

    def concat(cfg):
        cfg.train_dataloader.dataset = dict(
            type='ConcatDataset', datasets=[cfg.train_dataloader.dataset])

    message = problem(
        repo_root,
        {'train_dataloader.dataset.metainfo.classes': ('sky', 'sea', 'land')},
        edit=concat)
    assert message.startswith(
        'model.decode_head.num_classes=5 but train_dataloader.dataset.'
        'datasets.0 (ShapesDataset) has 3 classes (sky, sea, ...)')
    # tools/test.py compares with the data it reads: the test dataset's
    cfg = load_config(
        osp.join(repo_root, SHAPES),
        cfg_options={
            'test_dataloader.dataset.metainfo.classes': ('sky', 'sea')
        })
    check_config(cfg)
    with pytest.raises(
            ConfigError,
            match=r'^model\.decode_head\.num_classes'
            r'=5 but test_dataloader\.dataset \(ShapesDataset\) '
            r'has 2 classes \(sky, sea\);'):
        check_config(cfg, ['test_dataloader'])
    # binary segmentation with one output channel has two classes
    cfg = load_config(
        osp.join(repo_root, SHAPES),
        cfg_options={
            'train_dataloader.dataset.metainfo.classes': ('bg', 'fg'),
            'model.decode_head.num_classes': 2,
            'model.decode_head.out_channels': 1
        })
    check_config(cfg)


def test_accepted_keys_follow_kwargs_up_the_mro():
    import torch.nn as nn
    from mmcv.transforms import RandomResize
    from mmengine.hooks import CheckpointHook
    from mmengine.optim import LinearLR
    from mmseg.datasets import PascalVOCDataset

    class Forwards(nn.Module):

        def __init__(self, width: int = 1, **kwargs):
            super().__init__(**kwargs)

    class Keeps(nn.Module):

        def __init__(self, **kwargs):
            super().__init__()
            self.kwargs = kwargs

    class SkipsForwards(Forwards):

        def __init__(self, depth: int = 1, **kwargs):
            super(Forwards, self).__init__(**kwargs)

    assert accepted_keys(Forwards) == {'width'}
    assert accepted_keys(SkipsForwards) == {'depth'}
    assert accepted_keys(Keeps) is None
    assert accepted_keys(RandomResize) is None  # its kwargs go to Resize
    assert 'interval' in accepted_keys(CheckpointHook)
    assert {'start_factor', 'begin', 'by_epoch'} <= accepted_keys(LinearLR)
    voc = accepted_keys(PascalVOCDataset)
    assert {'img_suffix', 'reduce_zero_label', 'data_root'} <= voc


# mmseg's and mmdet's own configs, with the conventions each one tests
HOST_CONFIGS = (
    'mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py',
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    # the detail head's num_classes=2 is for boundaries
    'mmseg::stdc/stdc1_4xb12-80k_cityscapes-512x1024.py',
    # Albu's transforms are albumentations'
    'mmdet::albu_example/mask-rcnn_r50_fpn_albu-1x_coco.py',
    # box and mask heads predict the 80 things of 133 panoptic classes
    'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py',
    # VFNetHead calls super(FCOSHead, self).__init__
    'mmdet::vfnet/vfnet_r50_fpn_1x_coco.py',
    # DETRHead takes bg_cls_weight out of its loss_cls
    'mmdet::detr/detr_r50_8xb2-150e_coco.py',
    # Grounding DINO's num_classes counts text tokens
    'mmdet::mm_grounding_dino/grounding_dino_swin-t_pretrain_obj365.py',
)


def host_configs(tmp_path):
    """Configs inheriting mmseg's and mmdet's own, as users write them."""
    paths = []
    for i, base in enumerate(HOST_CONFIGS):
        path = tmp_path / f'host{i}.py'
        path.write_text(f"_base_ = ['{base}']\n")
        paths.append(str(path))
    return paths


@pytest.mark.slow
def test_every_config_passes(repo_root, tmp_path):
    paths = [
        p for p in glob.glob(
            osp.join(repo_root, 'configs', '**', '*.py'), recursive=True)
        if f'{os.sep}_base_{os.sep}' not in p
    ]
    assert len(paths) > 30
    failed = {}
    for path in paths + host_configs(tmp_path):
        try:
            check_config(load_config(path))
        except ConfigError as err:
            failed[path] = str(err)
    assert failed == {}
