"""Helpers for tests that run the tools."""
import importlib.util
import json
import os
import os.path as osp
import shutil


def shapes_options(shapes_root, iters, ckpt_interval=None, extra=()):
    """--cfg-options that point the shapes config at ``shapes_root`` and
    shorten its schedule."""
    opts = [
        f'{loader}.dataset.data_root={shapes_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    opts += [
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={ckpt_interval or iters}',
        'default_hooks.checkpoint.max_keep_ckpts=-1',
        'default_hooks.logger.interval=2',
        'param_scheduler.0.end=2',
        'param_scheduler.1.begin=2',
        f'param_scheduler.1.end={iters}',
    ]
    return ['--cfg-options'] + opts + list(extra)


def shared_dir(tmp_path_factory):
    """A folder all pytest-xdist workers of this test run see."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get('PYTEST_XDIST_WORKER') else base


def shared_training(run_tool, tmp_path_factory, name, config, options):
    """``tools/train.py config --work-dir WORK options`` run once per test
    run, by the first pytest-xdist worker to take its lock (the others
    wait for it, then find it done): WORK. A run on one worker's
    ``shapes_root`` serves the tests of all: the seeded generator writes
    the same files in each worker's folder."""
    from filelock import FileLock
    work = str(shared_dir(tmp_path_factory) / name)
    with FileLock(work + '.lock'):
        if not osp.exists(work + '.done'):
            shutil.rmtree(work, ignore_errors=True)  # a failed try's
            run_tool(['tools/train.py', config, '--work-dir', work] +
                     list(options))
            open(work + '.done', 'w').close()
    return work


def read_log(work_dir):
    logs = sorted(
        osp.join(root, f) for root, _, files in os.walk(work_dir)
        for f in files if f.endswith('.log'))
    return '\n'.join(open(p).read() for p in logs)


def load_tool(repo_root, name):
    """``tools/<name>.py`` as a module, to call its functions directly."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(repo_root, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# CocoMetric's keys in COCOeval.stats order
COCO_KEYS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')


def cocoeval_stats(gt, results_json, iou_type, drop_boxes=False):
    """pycocotools' COCOeval run directly on ``results_json`` against the
    ``COCO`` object ``gt``: its 12 stats."""
    from pycocotools.cocoeval import COCOeval
    with open(results_json) as f:
        results = json.load(f)
    assert results, f'{results_json} is empty'
    if drop_boxes:
        for r in results:
            r.pop('bbox')
    evaluator = COCOeval(gt, gt.loadRes(results), iou_type)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator.stats
