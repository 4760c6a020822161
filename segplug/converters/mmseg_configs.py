"""Which segplug config each converted mmseg model belongs to, and where
mmseg's own configs are installed."""
import os.path as osp
from typing import NamedTuple

import mmseg


class SegplugEquivalent(NamedTuple):
    """Where a converted mmseg model lives in segplug."""
    model: str
    segplug_config: str
    mmseg_config: str


MMSEG_HEADS = {
    'ASPPHead':
    SegplugEquivalent(
        'deeplabv3', 'configs/_base_/models/deeplabv3_r50-d8.py',
        'mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py'),
    'DepthwiseSeparableASPPHead':
    SegplugEquivalent(
        'deeplabv3plus', 'configs/_base_/models/deeplabv3plus_r50-d8.py',
        'mmseg::deeplabv3plus/'
        'deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'),
    'PSPHead':
    SegplugEquivalent(
        'pspnet', 'configs/_base_/models/pspnet_r50-d8.py',
        'mmseg::pspnet/pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py'),
}


def mmseg_config_file(name: str) -> str:
    """The installed file of an ``'mmseg::<dir>/<file>.py'`` config.

    mmengine resolves such names only inside ``_base_``; ``Config.fromfile``
    needs the path, which is in mmseg's package.
    """
    if not name.startswith('mmseg::'):
        raise ValueError("mmseg config: expected 'mmseg::<path>', got "
                         f'{name!r}')
    return osp.join(
        osp.dirname(mmseg.__file__), '.mim', 'configs', name[len('mmseg::'):])
