"""Add the SBD annotations ("aug") to PASCAL VOC 2012.

Converts ``benchmark_RELEASE/dataset/cls/*.mat`` to palette PNGs in
``VOC2012/SegmentationClassAug`` and writes ``ImageSets/Segmentation/aug.txt``
(SBD train+val minus VOC train+val, read with SegmentationClassAug) and
``trainaug.txt`` (VOC train + aug): 10,582 training images in all.
"""
import argparse
import sys

from segplug.data_preparation import VOCPrepareError, prepare_voc_aug


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--devkit',
        default='data/VOCdevkit',
        help='folder holding VOC2012/ (JPEGImages, SegmentationClass, '
        'ImageSets/Segmentation/{train,val}.txt)')
    parser.add_argument(
        '--sbd',
        default='data/benchmark_RELEASE',
        help='SBD release folder holding dataset/cls/*.mat, dataset/train.txt '
        'and dataset/val.txt')
    parser.add_argument('--nproc', type=int, default=2)
    args = parser.parse_args(argv)
    try:
        report = prepare_voc_aug(args.devkit, args.sbd, nproc=args.nproc)
    except VOCPrepareError as err:
        sys.exit(f'error: {err}')
    print(report)


if __name__ == '__main__':
    main()
