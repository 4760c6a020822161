"""Convert timm's ImageNet Xception-65 checkpoint for segplug's Xception65.

The input is the state dict of ``timm.create_model('xception65',
pretrained=True)`` (e.g. timm's ``tf_xception_65-c9ae96e8.pth``), bare or
under ``'state_dict'``/``'model'``. The output holds
``{'state_dict': {'backbone.<key>': tensor}}``: use it as a config's
``load_from``, or as the backbone's
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
"""
import argparse
import pickle
import sys

import torch

from segplug.converters import convert_timm_xception65


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='timm xception65 checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    args = parser.parse_args(argv)
    try:
        weights = convert_timm_xception65(
            torch.load(args.src, map_location='cpu', weights_only=True))
    except (OSError, TypeError, ValueError, pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')
    torch.save(
        {'state_dict': {
            f'backbone.{k}': v
            for k, v in weights.items()
        }}, args.dst)
    print(f'{args.dst}: {len(weights)} tensors for Xception65()')


if __name__ == '__main__':
    main()
