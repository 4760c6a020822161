"""How long the data check takes on PASCAL VOC's size of data: 10,582
training images of 500x375 (JPEG quality 90, ~90 KB of textured content
each) with palette PNG labels of 21 classes and a void band, in the VOC
layout.

It runs the check cold (an empty cache) and cached, interleaved with its
peer, the loading a training epoch does anyway (mmcv's LoadImageFromFile
and mmseg's LoadAnnotations, timed on a subset in this process, one data
loader worker's share scaled to the epoch), and prints medians. The files
were just written, so the page cache holds them: a cold disk adds its read
time (about 1 GB here) to the cold check and to the first epoch alike.

    python tools/benchmark_data_check.py [--num 10582] [--root DIR]
"""
import argparse
import multiprocessing
import os
import os.path as osp
import shutil
import tempfile
import time

import cv2
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmseg.datasets.transforms import LoadAnnotations
from PIL import Image

from segplug.benchmarking import interleaved
from segplug.data_preparation import voc_palette
from segplug.engine import check_data

WIDTH, HEIGHT = 500, 375
_NOISE_BANK = 4


def _noise_bank(seed: int) -> list:
    """A few noise fields to crop from: drawing fresh noise per image would
    take most of the generation time."""
    rng = np.random.default_rng(seed)
    bank = []
    for _ in range(_NOISE_BANK):
        coarse = rng.normal(0, 1, (HEIGHT // 2 + 32, WIDTH // 2 + 32, 3))
        fine = rng.normal(0, 8, (HEIGHT + 64, WIDTH + 64, 3))
        bank.append(
            25 *
            cv2.resize(coarse.astype(np.float32), (WIDTH + 64, HEIGHT + 64)) +
            fine)
    return bank


def make_pair(index: int, bank: list):
    """A textured image with 1-4 objects and its label (classes 1-20 on
    background 0, a 255 band around each object)."""
    rng = np.random.default_rng(index)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    for c in range(3):
        a, b, p = rng.uniform(-1, 1, 3)
        img[..., c] = 128 + 60 * np.sin(xx / 40 * a + yy / 40 * b + p * 6)
    label = np.zeros((HEIGHT, WIDTH), np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        centre = (int(rng.uniform(0, WIDTH)), int(rng.uniform(0, HEIGHT)))
        radius = int(rng.uniform(30, 120))
        cv2.circle(img, centre, radius, rng.uniform(0, 255, 3).tolist(), -1)
        cv2.circle(label, centre, radius, int(rng.integers(1, 21)), -1)
        cv2.circle(label, centre, radius, 255, 3)
    x, y = rng.integers(0, 64, 2)
    img += bank[index % _NOISE_BANK][y:y + HEIGHT, x:x + WIDTH]
    return np.clip(img, 0, 255).astype(np.uint8), label


def _write_pair(args) -> None:
    root, index = args
    img, label = make_pair(index, _BANK[0])
    name = f'{index:06d}'
    cv2.imwrite(
        osp.join(root, 'JPEGImages', name + '.jpg'), img,
        [cv2.IMWRITE_JPEG_QUALITY, 90])
    png = Image.fromarray(label, 'P')
    png.putpalette(voc_palette())
    png.save(osp.join(root, 'SegmentationClass', name + '.png'))


# made before the pool forks, so the workers share it
_BANK: list = []


def generate(root: str, num: int) -> None:
    if not _BANK:
        _BANK.append(_noise_bank(0))
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    with multiprocessing.get_context('fork').Pool() as pool:
        pool.map(_write_pair, [(root, i) for i in range(num)], chunksize=64)
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write(''.join(f'{i:06d}\n' for i in range(num)))


def voc_config(root: str, work_dir: str) -> Config:
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    return Config(
        dict(
            default_scope='mmseg',
            work_dir=work_dir,
            model=dict(decode_head=dict(num_classes=21)),
            train_dataloader=dict(
                dataset=dict(
                    type='PascalVOCDataset',
                    data_root=root,
                    data_prefix=dict(
                        img_path='JPEGImages',
                        seg_map_path='SegmentationClass'),
                    ann_file='ImageSets/Segmentation/train.txt',
                    pipeline=pipeline))))


def load(root: str, count: int) -> None:
    """The training pipeline's loading transforms on ``count`` samples."""
    load_img, load_ann = LoadImageFromFile(), LoadAnnotations()
    for i in range(count):
        name = f'{i:06d}'
        results = load_img(
            dict(img_path=osp.join(root, 'JPEGImages', name + '.jpg')))
        results.update(
            seg_map_path=osp.join(root, 'SegmentationClass', name + '.png'),
            reduce_zero_label=False,
            seg_fields=[])
        load_ann(results)


def check_steps(cfg: Config, tmp: str) -> tuple:
    """The cold check (each call on a fresh, empty cache), the cached check
    (on the cache the cold call before it filled) and the list the cold
    calls append their summaries to."""
    summaries = []

    def cold():
        os.environ['SEGPLUG_CACHE_DIR'] = osp.join(tmp,
                                                   f'cache{len(summaries)}')
        summaries.append(check_data(cfg, ['train_dataloader']))

    def cached():
        check_data(cfg, ['train_dataloader'])

    return cold, cached, summaries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=10582)
    parser.add_argument(
        '--root',
        help='where the data go (default: a '
        'temporary folder, removed afterwards)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--peer-samples', type=int, default=500)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='segplug-bench-')
    root = args.root or osp.join(tmp, 'voc')
    try:
        start = time.perf_counter()
        generate(root, args.num)
        size = sum(e.stat().st_size
                   for sub in ('JPEGImages', 'SegmentationClass')
                   for e in os.scandir(osp.join(root, sub)))
        print(f'generated {args.num} pairs ({size / 2**20:.0f} MiB) in '
              f'{time.perf_counter() - start:.0f} s')
        cold, cached, summaries = check_steps(
            voc_config(root, osp.join(tmp, 'work')), tmp)
        (cold_s, _), (cached_s, _), (load_s, _) = interleaved(
            [cold, cached, lambda: load(root, args.peer_samples)],
            torch.device('cpu'),
            0,
            args.repeats,
            memory=False)
        report(args.num, summaries[-1], args.repeats, cold_s, cached_s,
               load_s / args.peer_samples)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(num, summary, repeats, cold, cached, per_sample) -> None:
    epoch = per_sample * num
    print(f'{summary.samples} samples, {summary.files} files, '
          f'{os.cpu_count()} CPUs, median of {repeats}:')
    print(f'  check, cold:   {cold:6.1f} s ({summary.files / cold:.0f} '
          'files/s)')
    print(f'  check, cached: {cached:6.2f} s')
    print(f'  peer, loading one epoch in one data loader worker: '
          f'{epoch:.1f} s; cold check / that = {cold / epoch:.2f}')


if __name__ == '__main__':
    main()
