"""Find the colour (RGB) label files a config's loaders read, from the
data check's facts of each label (decoded once, cached): what
``segplug convert-color-labels`` converts to class indices."""
from typing import Dict, Iterable, List, Tuple

from ...errors import ConfigError
from .check import leaf_dataset_cfgs
from .file_facts import file_facts
from .file_inspection import LABEL
from .sample_list import label_rules, leaf_samples


def find_colour_labels(
        cfg, loaders: Iterable[str]) -> Tuple[Dict[str, List[List[int]]], int]:
    """({label path: its dataset's palette} of every colour label the
    ``loaders`` read, the ignore index the rest of the colours map to).

    Raises:
        ConfigError: a colour label of a dataset without a palette.
    """
    found = {}
    for loader in loaders:
        if not cfg.get(loader):
            continue
        for ds in leaf_dataset_cfgs(cfg[loader]['dataset']):
            leaf = leaf_samples(loader, ds, cfg.get('default_scope'))
            if leaf is None or not leaf.labels:
                continue
            paths = [p for kind, p in leaf.files() if kind == LABEL]
            facts, _ = file_facts([(LABEL, p) for p in paths], leaf.folder)
            for path in paths:
                if facts[(LABEL, path)].get('colour'):
                    if not leaf.palette:
                        raise ConfigError(
                            f'{loader}: {path} is a colour label but the '
                            'dataset has no palette to map it by')
                    found[path] = leaf.palette
    rules = label_rules(cfg)
    return found, rules.ignore_index if rules else 255
