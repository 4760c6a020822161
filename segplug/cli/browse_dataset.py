"""Draw what a model trains on: images with their labels after the
config's training pipeline (crops, flips, photometric changes as they
come out), one PNG per sample, into a folder. mmseg configs draw the
label map over the image; mmdet configs draw boxes and masks.

    segplug browse-dataset CONFIG [--out DIR] [--split train|val|test]
        [--num 20] [--cfg-options K=V ...]

The data is checked first, as training checks it.
"""
import argparse
import importlib
import os
import os.path as osp

import cv2
from mmengine.registry import init_default_scope

from segplug.cli.arguments import add_cfg_options
from segplug.engine import (ConfigError, check_data, config_scope, load_config,
                            user_errors_exit)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='config file or packaged name')
    parser.add_argument(
        '--out',
        default='work_dirs/browse_dataset',
        help='folder for the drawn samples (default '
        'work_dirs/browse_dataset)')
    parser.add_argument(
        '--split',
        choices=('train', 'val', 'test'),
        default='train',
        help="the config's <split>_dataloader (default train)")
    parser.add_argument(
        '--num',
        type=int,
        default=20,
        help='samples to draw, from the first (default 20; 0 for all)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if args.num < 0:
        parser.error(f'--num: expected >= 0, got {args.num}')
    return args


def _drawable(sample):
    """``sample`` as mmdet's visualizer draws it: box tensors, boolean
    masks (the training pipeline packs box and mask objects)."""
    instances = sample.get('gt_instances')
    if instances is None:
        return sample
    from mmdet.structures.bbox import BaseBoxes
    from mmdet.structures.mask import BaseInstanceMasks
    boxes = instances.get('bboxes')
    if isinstance(boxes, BaseBoxes):
        instances.bboxes = boxes.tensor
    masks = instances.get('masks')
    if isinstance(masks, BaseInstanceMasks):
        instances.masks = masks.to_ndarray().astype(bool)
    sample.gt_instances = instances
    return sample


def labels_at_original_size(pipeline) -> bool:
    """Whether ``pipeline`` loads its labels after resizing the image, as
    mmseg's and mmdet's test pipelines do to evaluate at the original
    size: then the image is drawn at that size, under its labels."""
    types = [str(step.get('type')) for step in pipeline]
    loads = [i for i, t in enumerate(types) if 'LoadAnnotations' in t]
    return bool(loads) and any('Resize' in t for t in types[:loads[0]])


def browse(cfg, loader: str, out: str, num: int) -> int:
    """Draw the first ``num`` samples of ``cfg.<loader>``'s dataset (all
    for 0) into ``out``; return how many."""
    scope = config_scope(cfg)
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    dataset = registry.DATASETS.build(cfg[loader].dataset)
    visualizer = registry.VISUALIZERS.build(
        dict(cfg.visualizer, name='segplug_browse_dataset', vis_backends=None))
    visualizer.dataset_meta = dataset.metainfo
    os.makedirs(out, exist_ok=True)
    original_size = labels_at_original_size(cfg[loader].dataset.pipeline)
    count = len(dataset) if num == 0 else min(num, len(dataset))
    for index in range(count):
        item = dataset[index]
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # to RGB
        sample = _drawable(item['data_samples'].numpy())
        if original_size:
            height, width = sample.ori_shape
            image = cv2.resize(image, (width, height))
        name = osp.splitext(osp.basename(sample.img_path))[0]
        visualizer.add_datasample(
            name,
            image.copy(),
            sample,
            draw_gt=True,
            draw_pred=False,
            show=False,
            out_file=osp.join(out, f'{index:05d}_{name}.png'))
    return count


def main(argv=None):
    args = parse_args(argv)
    loader = f'{args.split}_dataloader'
    with user_errors_exit():
        cfg = load_config(args.config, cfg_options=args.cfg_options)
        if not cfg.get(loader):
            raise ConfigError(f'--split {args.split}: the config has no '
                              f'{loader}')
        check_data(cfg, [loader])
        count = browse(cfg, loader, args.out, args.num)
    print(f'{count} {args.split} samples drawn in {args.out}')


if __name__ == '__main__':
    main()
