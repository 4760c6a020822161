"""Convert torchvision's ImageNet VGG-16 checkpoint for segplug's VGG16.

The output holds ``{'state_dict': {'backbone.<key>': tensor}}``: use it as a
config's ``load_from``, or as the backbone's
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
"""
import argparse
import pickle
import sys

import torch

from segplug.converters import convert_torchvision_vgg16


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='torchvision vgg16 checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--fc-type',
        choices=['fcn', 'largefov'],
        default='fcn',
        help="VGG16's fc_type; 'largefov' subsamples fc6/fc7 as DeepLab")
    parser.add_argument(
        '--fc6-kernel',
        type=int,
        help="VGG16's fc6_kernel (1, 2, 3, 4 or 7), made from the 7x7 fc6 "
        "by decimation; default: the fc type's")
    parser.add_argument(
        '--fc-channels',
        type=int,
        help="VGG16's fc_channels (a divisor of 4096: every n-th filter is "
        "kept); default: the fc type's")
    args = parser.parse_args(argv)
    try:
        weights = convert_torchvision_vgg16(
            torch.load(args.src, map_location='cpu', weights_only=True),
            args.fc_type, args.fc6_kernel, args.fc_channels)
    except (OSError, ValueError, TypeError, pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')
    torch.save(
        {'state_dict': {
            f'backbone.{k}': v
            for k, v in weights.items()
        }}, args.dst)
    fc6 = tuple(weights['fc6.conv.weight'].shape)
    print(f'{args.dst}: {len(weights)} tensors for '
          f'VGG16(fc_type={args.fc_type!r}, fc6_kernel={fc6[2]}, '
          f'fc_channels={fc6[0]})')


if __name__ == '__main__':
    main()
