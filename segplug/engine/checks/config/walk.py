"""Walk a config's sections as mmengine's Runner builds them, collecting
every key and ``type`` no part accepts (see :func:`check_config`)."""
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from .accepted_keys import (accepted_keys, no_argument, not_registered,
                            resolve, scope_registry)

# What Runner.build_dataloader takes out before the rest goes to DataLoader
_LOADER_KEYS = ('dataset', 'sampler', 'batch_sampler', 'collate_fn',
                'worker_init_fn', 'num_batch_per_epoch',
                'disable_subprocess_warning')
# Model keys built as parts (a TTA model's module is the model it wraps).
# Keys ending in _cfg are built by helpers with their own conventions
# (norm_cfg's requires_grad, train_cfg's assigners), other dicts with a type
# by builders outside the registries (roi_layer: mmcv.ops; dcn: ResNet
# takes fallback_on_stride out first): neither is checked.
_COMPONENTS = ('backbone', 'neck', 'data_preprocessor', 'postprocessor',
               'sampler', 'shared_head', 'semantic_head', 'module')
_COMPONENT_ENDS = ('_head', '_extractor', '_coder', '_generator')
# Sub-part keys a part takes out before building the sub-part
_CONSUMED = {'DETRHead': {'loss_cls': ('bg_cls_weight', )}}
# Transforms whose `transforms` are transforms too (mmcv's, mmdet's)
_NESTING = frozenset({
    'Compose', 'KeyMapper', 'MultiScaleFlipAug', 'ProposalBroadcaster',
    'RandomApply', 'RandomChoice', 'RandomOrder', 'TestTimeAug',
    'TransformBroadcaster'
})
_ALWAYS = frozenset({'type', '_scope_'})


def listed(value: Any, where: str) -> Iterator[Tuple[Any, str]]:
    """A dict, or each item of a list, with its key path."""
    if isinstance(value, dict):
        yield value, where
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield item, f'{where}.{i}'


def _consumed(parent: Any, key: str) -> Tuple[str, ...]:
    """Keys of sub-part ``key`` that ``parent`` takes out before building
    it (DETR's heads read the background weight from their loss_cls)."""
    for klass in getattr(parent, '__mro__', ()):
        if key in _CONSUMED.get(klass.__name__, {}):
            return _CONSUMED[klass.__name__][key]
    return ()


def _is_component(key: str) -> bool:
    return not key.endswith('_cfg') and (key in _COMPONENTS
                                         or key.startswith('loss_')
                                         or key.endswith(_COMPONENT_ENDS))


class ConfigWalk:
    """Collects the problems of one config in :attr:`problems`.

    Args:
        scope (str, optional): The config's ``default_scope``.
    """

    def __init__(self, scope: Optional[str]):
        self.scope = scope
        self.problems: List[str] = []

    def lookup(self,
               cfg: dict,
               kinds: Iterable[str],
               default: Any = None) -> Any:
        """What ``cfg``'s type (else ``default``) builds in the first of
        the registries ``kinds`` that has it; None where none has."""
        type_ = cfg.get('type', default)
        scope = cfg.get('_scope_', self.scope)
        for kind in kinds:
            found = resolve(type_, scope_registry(kind, scope))
            if found is not None:
                return found
        return None

    def part(self,
             cfg: Any,
             where: str,
             kinds: Tuple[str, ...],
             default: Any = None,
             extra: Iterable[str] = ()) -> Any:
        """Check dict ``cfg`` (else nothing), built from ``kinds``."""
        if not isinstance(cfg, dict) or cfg.get('type', default) is None:
            return None
        found = self.lookup(cfg, kinds, default)
        if found is None:
            self.unknown_type(
                cfg.get('type', default), f'{where}.type', kinds,
                cfg.get('_scope_', self.scope))
        else:
            self.keys(cfg, where, found, extra)
        return found

    def keys(self, cfg: dict, where: str, obj: Any,
             extra: Iterable[str] = ()) -> None:
        """Report each key of ``cfg`` that ``obj`` does not take."""
        accepted = accepted_keys(obj)
        if accepted is None:
            return
        accepted = accepted | frozenset(extra)
        for key in cfg:
            if key not in accepted and key not in _ALWAYS:
                self.problems.append(
                    f'{where}: {no_argument(obj, key, accepted)}')

    def unknown_type(self, type_: Any, where: str, kinds: Tuple[str, ...],
                     scope: Optional[str]) -> None:
        self.problems.append(f'{where}: {not_registered(type_, kinds, scope)}')

    def hooks(self, cfg) -> None:
        default_hooks = cfg.get('default_hooks') or {}
        hooks = [(hook, f'default_hooks.{key}')
                 for key, hook in default_hooks.items()]
        hooks += listed(cfg.get('custom_hooks') or [], 'custom_hooks')
        for hook, where in hooks:
            # Runner.register_hook takes the priority out
            self.part(hook, where, ('HOOKS', ), extra=('priority', ))

    def optim_wrapper(self, wrapper: Any) -> None:
        from mmengine.optim import DefaultOptimWrapperConstructor
        if not isinstance(wrapper, dict):
            return
        kinds = ('OPTIM_WRAPPER_CONSTRUCTORS', )
        type_ = wrapper.get('constructor', DefaultOptimWrapperConstructor)
        constructor = self.lookup(dict(type=type_), kinds)
        if constructor is None:
            self.unknown_type(type_, 'optim_wrapper.constructor', kinds,
                              self.scope)
        # other constructors read the wrapper config their own way
        if not (isinstance(constructor, type)
                and issubclass(constructor, DefaultOptimWrapperConstructor)):
            return
        self.part(
            wrapper,
            'optim_wrapper', ('OPTIM_WRAPPERS', ),
            default='OptimWrapper',
            extra=('constructor', 'paramwise_cfg', 'optimizer'))
        self.part(
            wrapper.get('optimizer'), 'optim_wrapper.optimizer',
            ('OPTIMIZERS', ))

    def schedulers(self, schedulers: Any, where: str) -> None:
        if isinstance(schedulers, dict) and 'type' not in schedulers:
            # one list per optimizer of an OptimWrapperDict
            for key, value in schedulers.items():
                self.schedulers(value, f'{where}.{key}')
            return
        for scheduler, at in listed(schedulers, where):
            self.part(
                scheduler,
                at, ('PARAM_SCHEDULERS', ),
                extra=('convert_to_iter_based', ))

    def loops(self, cfg) -> None:
        from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop,
                                     TestLoop, ValLoop)
        train = cfg.get('train_cfg')
        if isinstance(train, dict) and 'type' in train:
            if 'by_epoch' in train:
                self.problems.append(
                    'train_cfg: give type or by_epoch, not both (mmengine '
                    'picks the loop by by_epoch only without a type)')
            self.part(train, 'train_cfg', ('LOOPS', ), extra=('by_epoch', ))
        elif isinstance(train, dict) and 'by_epoch' in train:
            loop = (
                EpochBasedTrainLoop
                if train['by_epoch'] else IterBasedTrainLoop)
            self.keys(train, 'train_cfg', loop, extra=('by_epoch', ))
        for key, loop in (('val_cfg', ValLoop), ('test_cfg', TestLoop)):
            self.part(cfg.get(key), key, ('LOOPS', ), default=loop)

    def dataloader(self, loader: Any, where: str) -> None:
        from torch.utils.data import DataLoader
        if not isinstance(loader, dict):
            return
        self.keys(loader, where, DataLoader, extra=_LOADER_KEYS)
        for key in ('sampler', 'batch_sampler'):
            self.part(loader.get(key), f'{where}.{key}', ('DATA_SAMPLERS', ))
        self.dataset(loader.get('dataset'), f'{where}.dataset')

    def dataset(self, dataset: Any, where: str) -> None:
        if not isinstance(dataset, dict):
            return
        self.part(dataset, where, ('DATASETS', ))
        for sub, at in listed(dataset.get('datasets'), f'{where}.datasets'):
            self.dataset(sub, at)
        if isinstance(dataset.get('dataset'), dict):
            self.dataset(dataset['dataset'], f'{where}.dataset')
        pipeline = dataset.get('pipeline')
        if isinstance(pipeline, (list, tuple)):
            for transform, at in listed(pipeline, f'{where}.pipeline'):
                self.transform(transform, at)

    def transform(self, transform: Any, where: str) -> None:
        if not isinstance(transform, dict):
            return
        found = self.part(transform, where, ('TRANSFORMS', ))
        # Albu's transforms are albumentations' own: only these nest parts
        if getattr(found, '__name__', None) not in _NESTING:
            return
        for sub, at in listed(
                transform.get('transforms'), f'{where}.transforms'):
            if isinstance(sub, (list, tuple)):  # TestTimeAug, RandomChoice
                for inner, inner_at in listed(sub, at):
                    self.transform(inner, inner_at)
            else:
                self.transform(sub, at)

    def evaluator(self, evaluator: Any, where: str) -> None:
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            self.part(evaluator, where, ('EVALUATOR', ), default='Evaluator')
            evaluator, where = evaluator['metrics'], f'{where}.metrics'
        for metric, at in listed(evaluator, where):
            self.part(metric, at, ('METRICS', ))

    def visualizer(self, visualizer: Any, vis_backends: Any) -> None:
        self.part(visualizer, 'visualizer', ('VISUALIZERS', ))
        own = (
            visualizer.get('vis_backends')
            if isinstance(visualizer, dict) else None)
        backends = list(listed(own, 'visualizer.vis_backends'))
        if vis_backends != own:
            backends += listed(vis_backends, 'vis_backends')
        for backend, at in backends:
            self.part(backend, at, ('VISBACKENDS', ))

    def model(
        self,
        model: Any,
        where: str,
        kinds: Tuple[str, ...] = ('MODELS', ),
        extra: Iterable[str] = ()
    ) -> None:
        """Check ``model`` and, recursively, its parts (mmdet's anchor
        generators and box coders live in TASK_UTILS)."""
        if not isinstance(model, dict):
            return
        found = self.part(model, where, kinds, extra=extra)
        scope, self.scope = self.scope, model.get('_scope_', self.scope)
        for key, value in model.items():
            if not _is_component(key):
                continue
            consumed = _consumed(found, key)
            for sub, at in listed(value, f'{where}.{key}'):
                if isinstance(sub, dict) and 'type' in sub:
                    self.model(sub, at, ('MODELS', 'TASK_UTILS'), consumed)
        self.scope = scope
