"""The samples a leaf dataset config will read, and what is wrong with each
given its files' facts (:mod:`.file_check`).

The dataset is built from its own config, with an empty pipeline, so its
list of samples is exactly the one the run reads: its ann_file, suffixes,
filters and ``indices`` subset apply.
"""
import copy
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Iterator, List, NamedTuple, Optional, Tuple

from ...errors import ConfigError, DataError
from .file_inspection import IMAGE, LABEL


class Problem(NamedTuple):
    """What is wrong with one file of a sample: ``kind`` as
    '<image|label|split>:<what>', a ``detail`` for the message."""
    loader: str
    kind: str
    path: str
    detail: str = ''


class LabelRules(NamedTuple):
    """The label values a model accepts: [0, num_classes) and ignore_index;
    ``where`` names the config key of num_classes."""
    num_classes: int
    ignore_index: int
    where: str


@dataclass
class LeafSamples:
    """The samples of one leaf dataset of a loader.

    Args:
        loader (str): The loader's config key, e.g. 'val_dataloader'.
        cfg (dict): The leaf dataset's config (in warn mode its ``indices``
            are edited in place).
        name (str): The ann_file, or the data_root: what names the dataset.
        folder (str): Its data root, which names its cache.
        indices (list[int]): The samples read, as indices of its full list.
        infos (list[dict]): The data infos of those samples.
        labels (bool): Whether its pipeline loads the semantic labels.
        detection (bool): Whether its infos carry the image's width and
            height (mmdet) to match.
        palette (list, optional): Its classes' colours, from its metainfo.
        classes (tuple, optional): Its classes' names, from its metainfo.
    """
    loader: str
    cfg: dict
    name: str
    folder: str
    indices: List[int]
    infos: List[dict]
    labels: bool
    detection: bool
    palette: Optional[list] = None
    classes: Optional[tuple] = None

    def files(self) -> Iterator[Tuple[str, str]]:
        """The (kind, path) of every file its samples read."""
        for info in self.infos:
            if info.get('img_path'):
                yield IMAGE, info['img_path']
            if self.labels and info.get('seg_map_path'):
                yield LABEL, info['seg_map_path']


def _loads_labels(pipeline) -> bool:
    """Whether a LoadAnnotations transform is in ``pipeline`` (at any
    depth, e.g. inside TestTimeAug)."""
    if isinstance(pipeline, dict):
        kind = pipeline.get('type')
        name = getattr(kind, '__name__', str(kind))
        return (name.endswith('LoadAnnotations')
                or any(_loads_labels(v) for v in pipeline.values()))
    if isinstance(pipeline, (list, tuple)):
        return any(_loads_labels(v) for v in pipeline)
    return False


def _subset(total: int, indices) -> List[int]:
    """The indices of the full list that mmengine's ``indices`` keeps."""
    if indices is None:
        return list(range(total))
    if isinstance(indices, int):
        return (list(range(total))[:indices] if indices >= 0 else list(
            range(total))[indices:])
    return [int(i) for i in indices]


def _build(ds_cfg: dict, scope: Optional[str]):
    """The dataset of ``ds_cfg`` with its full list of samples loaded (no
    pipeline, no ``indices``)."""
    from mmengine.registry import DATASETS, DefaultScope
    build_cfg = copy.deepcopy(dict(ds_cfg))
    build_cfg.update(
        pipeline=[], serialize_data=False, lazy_init=False, indices=None)
    # the dataset's own warnings (CheckedCocoDataset's) come once, when the
    # Runner builds it
    with warnings.catch_warnings(), \
            DefaultScope.overwrite_default_scope(scope):
        warnings.simplefilter('ignore')
        return DATASETS.build(build_cfg)


def leaf_samples(loader: str, ds_cfg: dict,
                 scope: Optional[str]) -> Optional[LeafSamples]:
    """The samples of the leaf dataset ``ds_cfg`` (None if it is not an
    mmengine ``BaseDataset``), built in the registry ``scope``."""
    from mmengine.dataset import BaseDataset
    try:
        dataset = _build(ds_cfg, scope)
    except (DataError, ConfigError, FileNotFoundError):
        raise
    except Exception as err:  # the dataset's own check of its arguments
        what = str(err).strip().splitlines()
        raise ConfigError(
            f'{loader}: its dataset ({ds_cfg.get("type")}) cannot be built: '
            f'{type(err).__name__}: {what[0] if what else ""}') from None
    if not isinstance(dataset, BaseDataset):
        return None
    full = dataset.data_list
    indices = _subset(len(full), ds_cfg.get('indices'))
    if any(not -len(full) <= i < len(full) for i in indices):
        raise ConfigError(f'{loader}: dataset indices reach past the '
                          f'{len(full)} samples of {ds_cfg.get("ann_file")}')
    infos = [full[i] for i in indices]
    root = ds_cfg.get('data_root') or ''
    name = (
        osp.join(root, ds_cfg['ann_file'])
        if ds_cfg.get('ann_file') else root or str(ds_cfg.get('type')))
    if not root:
        root = osp.dirname(infos[0]['img_path']) if infos else '.'
    return LeafSamples(
        loader=loader,
        cfg=ds_cfg,
        name=name,
        folder=root,
        indices=indices,
        infos=infos,
        labels=_is_seg_dataset(dataset)
        and _loads_labels(ds_cfg.get('pipeline')),
        detection=bool(infos) and 'width' in infos[0] and 'height' in infos[0],
        palette=dataset.metainfo.get('palette'),
        classes=tuple(dataset.metainfo.get('classes') or ()))


def _is_seg_dataset(dataset) -> bool:
    from mmseg.datasets import BaseSegDataset
    return isinstance(dataset, BaseSegDataset)


def label_rules(cfg) -> Optional[LabelRules]:
    """The label values ``cfg.model``'s decode head accepts (the smallest
    num_classes of several heads); None without a decode head."""
    model = cfg.get('model') or {}
    where = 'model'
    if 'decode_head' not in model and isinstance(model.get('module'), dict):
        model, where = model['module'], 'model.module'  # a TTA model
    heads = model.get('decode_head')
    if isinstance(heads, dict):
        heads = [(f'{where}.decode_head', heads)]
    else:
        heads = [(f'{where}.decode_head.{i}', h)
                 for i, h in enumerate(heads or [])]
    rules = [
        LabelRules(h['num_classes'], h.get('ignore_index', 255),
                   f'{key}.num_classes') for key, h in heads
        if isinstance(h, dict) and isinstance(h.get('num_classes'), int)
    ]
    return min(rules) if rules else None
