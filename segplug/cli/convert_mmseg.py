"""Convert an mmseg DeepLab v3 / v3+ / PSPNet checkpoint to segplug's
backbone + neck + head layout.

    segplug convert-mmseg SRC DST

SRC: an mmseg checkpoint of a model with an ASPPHead,
DepthwiseSeparableASPPHead or PSPHead (the model zoo's ``{'state_dict',
'meta'}`` or a bare state dict). DST holds ``{'state_dict', 'meta'}``: use it
as the ``load_from`` of the segplug config printed, with the num_classes
printed.
"""
import argparse
import os.path as osp
import pickle
import sys

import torch

# Imported for its weights-only allow-list: model-zoo checkpoints carry
# numpy scalars and HistoryBuffers beside the weights.
import segplug  # noqa: F401
from segplug.converters import MMSEG_HEADS, convert_mmseg_checkpoint
from segplug.engine import load_from_local


def _dataset_meta(meta: dict) -> dict:
    """Class names and palette, as mmseg 1.x or 0.x store them."""
    if isinstance(meta.get('dataset_meta'), dict):
        return meta['dataset_meta']
    return {
        new: meta[old]
        for old, new in (('CLASSES', 'classes'), ('PALETTE', 'palette'))
        if old in meta
    }


def convert(src: str, dst: str) -> str:
    """Convert ``src`` into ``dst``; return what to tell the user."""
    if not osp.isdir(osp.dirname(osp.abspath(dst))):
        raise FileNotFoundError(f'output folder not found: {dst}')
    try:
        checkpoint = load_from_local(src, map_location='cpu')
    except RuntimeError as err:  # torch's reader on a damaged archive
        raise ValueError(f'cannot read {src}: {err}') from None
    state_dict, head = convert_mmseg_checkpoint(checkpoint)
    equivalent = MMSEG_HEADS[head]
    meta = dict(
        converted_from=osp.basename(src),
        mmseg_head=head,
        segplug_config=equivalent.segplug_config)
    source_meta = checkpoint.get('meta')
    dataset_meta = (
        _dataset_meta(source_meta) if 'state_dict' in checkpoint
        and isinstance(source_meta, dict) else {})
    if dataset_meta:
        meta['dataset_meta'] = dataset_meta
    torch.save({'state_dict': state_dict, 'meta': meta}, dst)
    num_classes = state_dict['decode_head.conv_seg.weight'].shape[0]
    return (f'{dst}: {len(state_dict)} tensors of mmseg {head} -> segplug '
            f'{equivalent.model}\nconfig: {equivalent.segplug_config} '
            f'(with num_classes={num_classes})')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('src', help='mmseg checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    args = parser.parse_args(argv)
    try:
        print(convert(args.src, args.dst))
    except (OSError, ValueError, pickle.UnpicklingError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
