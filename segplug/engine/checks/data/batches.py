"""Batches the run will form: the samples the per-file check passes, put
through the loader's pipeline and the model's data preprocessor as the run
will, with the widest and the tallest samples of each loader together.

Images of several sizes that the pipeline does not crop to one, or that
outgrow the preprocessor's ``size``, pass every file check and then stop
the run at its first iteration, or at its first validation after the
training time of an interval.
"""
import copy
from typing import List, Optional

from ...errors import DataError
from .sample_list import LeafSamples


def _extremes(leaf: LeafSamples, facts: dict, count: int) -> List[dict]:
    """Up to ``count`` infos of ``leaf``: the tallest, the widest, then the
    smallest (by area) of its images."""
    from .file_inspection import IMAGE
    sized = [(facts.get((IMAGE, i['img_path']), {}).get('shape'), i)
             for i in leaf.infos if i.get('img_path')]
    sized = [(s, i) for s, i in sized if s]
    if len(sized) < 2:
        return []
    picks = [
        max(sized, key=lambda si: si[0][0]),
        max(sized, key=lambda si: si[0][1]),
        min(sized, key=lambda si: si[0][0] * si[0][1]),
    ]
    chosen, seen = [], set()
    for shape, info in picks:
        if info['img_path'] not in seen:
            seen.add(info['img_path'])
            chosen.append((shape, info))
    return chosen[:max(count, 2)]


def _preprocessor(cfg):
    from mmengine.registry import MODELS
    model = cfg.get('model') or {}
    if 'data_preprocessor' not in model and isinstance(
            model.get('module'), dict):
        model = model['module']
    spec = model.get('data_preprocessor')
    return MODELS.build(copy.deepcopy(spec)) if spec else None


def check_batches(cfg, leaves: List[LeafSamples], facts: dict,
                  scope: Optional[str]) -> None:
    """Form one batch of each semantic-segmentation loader from its most
    differently sized samples, as the run will.

    Raises:
        DataError: naming the samples, their sizes and the error.
    """
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope
    leaves = [
        leaf for leaf in leaves if leaf.labels and not leaf.detection
        and 'TestTimeAug' not in str(leaf.cfg.get('pipeline'))
    ]
    if not leaves:
        return
    with DefaultScope.overwrite_default_scope(scope or 'mmseg'):
        preprocessor = _preprocessor(cfg)
        for leaf in leaves:
            batch_size = (cfg.get(leaf.loader) or {}).get('batch_size', 1)
            picks = _extremes(leaf, facts, batch_size)
            if not picks or (batch_size < 2 and preprocessor is None):
                continue
            pipeline = Compose(leaf.cfg.get('pipeline') or [])
            named = ', '.join(f'{i["img_path"]} ({s[1]}x{s[0]})'
                              for s, i in picks)
            try:
                outputs = [
                    pipeline(dict(copy.deepcopy(i), sample_idx=k))
                    for k, (_, i) in enumerate(picks)
                ]
                if preprocessor is not None:
                    # one sample at a time where the loader batches one
                    groups = ([outputs]
                              if batch_size > 1 else [[o] for o in outputs])
                    for group in groups:
                        preprocessor(
                            pseudo_collate(group),
                            training=leaf.loader == 'train_dataloader')
            except Exception as err:  # what the run's first batch would say
                what = str(err).strip().splitlines()
                what = what[0] if what else type(err).__name__
                raise DataError(
                    f'{leaf.loader}: the samples {named} cannot form a batch '
                    f'as the run will ({type(err).__name__}: {what}); crop '
                    'or resize them to one size in the pipeline, or set '
                    'model.data_preprocessor.size to hold the largest'
                ) from None
