"""What the tools check before a run's first iteration, in the order they
run them (:data:`CHECKS`): the config (:mod:`.config`), the data
(:mod:`.data`) and the weights a model starts from (:mod:`.pretrained`).

A new check is a function that raises one of :mod:`segplug.engine.errors`
with a one-line message, in a module of this room, and a row of
:data:`CHECKS`.
"""
from typing import Callable, Iterable, NamedTuple, Tuple

from .config.batch_size import check_batch_size
from .config.check import check_config
from .data.rank_zero import check_data_once
from .pretrained import check_pretrained


class Check(NamedTuple):
    """One check: ``function(cfg, loaders)`` where ``takes_loaders``, else
    ``function(cfg)``, for the runs named in ``runs``."""
    name: str
    function: Callable
    runs: Tuple[str, ...]
    takes_loaders: bool


CHECKS = (
    Check('config keys, types and num_classes', check_config,
          ('train', 'test'), True),
    Check('parts that cannot train at batch size 1', check_batch_size,
          ('train', ), False),
    Check('every sample of the loaders', check_data_once, ('train', 'test'),
          True),
    Check('local pretrained weights', check_pretrained, ('train', ), False),
)


def run_checks(cfg, run: str, loaders: Iterable[str]) -> None:
    """Every check of :data:`CHECKS` that applies to ``run`` ('train' or
    'test'), on the data of ``loaders``."""
    loaders = list(loaders)
    for check in CHECKS:
        if run in check.runs:
            if check.takes_loaders:
                check.function(cfg, loaders)
            else:
                check.function(cfg)
