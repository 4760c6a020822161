"""Arguments that several commands share, worded once."""
import argparse
from typing import Optional

from segplug.engine import RawCfgOptions


def add_cfg_options(parser: argparse.ArgumentParser,
                    example: Optional[str] = None) -> None:
    """``--cfg-options KEY=VALUE ...``, merged into the config as mmseg's
    and mmdet's tools merge it, each value read as the type of the one it
    replaces (:mod:`segplug.engine.checks.config.cfg_options`)."""
    text = 'override config settings, key=value pairs'
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=RawCfgOptions,
        help=f'{text} (e.g. {example})' if example else text)
