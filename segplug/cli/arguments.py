"""Arguments that several commands share, worded once."""
import argparse
from typing import Optional

from mmengine.config import DictAction


def add_cfg_options(parser: argparse.ArgumentParser,
                    example: Optional[str] = None) -> None:
    """``--cfg-options KEY=VALUE ...``, merged into the config as mmseg's
    and mmdet's tools merge it."""
    text = 'override config settings, key=value pairs'
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'{text} (e.g. {example})' if example else text)
