"""Guard a training run against batches without valid pixels and against
non-finite losses."""
from functools import partial
from typing import List, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.registry import HOOKS

from ..config_types import type_name
from ..errors import ConfigError, TrainingError

NONFINITE_MODES = ('stop', 'skip')


def _check_mode(key: str, mode) -> None:
    if mode not in NONFINITE_MODES:
        raise ConfigError(f"{key}: expected 'stop' or 'skip', got {mode!r}")


def add_training_guard(cfg) -> None:
    """Append a ``TrainingGuardHook`` to ``cfg.custom_hooks``, unless one is
    there, with the top-level key ``nonfinite_loss`` ('stop' or 'skip')."""
    mode = cfg.get('nonfinite_loss', 'stop')
    _check_mode('nonfinite_loss', mode)
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(type_name(hook) == 'TrainingGuardHook' for hook in hooks):
        hooks.append(dict(type='TrainingGuardHook', nonfinite_loss=mode))
        cfg.custom_hooks = hooks


@HOOKS.register_module()
class TrainingGuardHook(Hook):
    """Stops (or skips) steps whose loss is NaN or inf before the optimizer
    applies them, and reports segmentation batches without a valid pixel.

    The loss is checked inside ``optim_wrapper.update_params``, so a
    non-finite loss never reaches the weights; with several processes every
    process learns of it and skips the step too. A checkpoint whose weights
    are not finite is never written. A batch whose labels are all the
    decode head's ``ignore_index`` has a loss of 0 and an accuracy of
    100 (0/0 in mmseg's ``accuracy``): its outputs are left out of the log
    and the batch is reported instead. The priority is above mmengine's
    ``RuntimeInfoHook``, which logs the outputs.

    Args:
        nonfinite_loss (str): 'stop' raises ``TrainingError`` naming the
            iteration and the last checkpoint; 'skip' skips the step (its
            buffers, e.g. BN statistics, restored) and warns. Default 'stop'.
        max_skips (int): In 'skip' mode, stop after this many skipped steps
            in a row. Default 10.
        report_first, report_every (int): Batches without valid pixels
            reported one by one, then a count every so many. Defaults 3, 100.
    """
    priority = 'HIGHEST'

    def __init__(self,
                 nonfinite_loss: str = 'stop',
                 max_skips: int = 10,
                 report_first: int = 3,
                 report_every: int = 100):
        _check_mode('TrainingGuardHook nonfinite_loss', nonfinite_loss)
        self.nonfinite_loss, self.max_skips = nonfinite_loss, max_skips
        self.report_first, self.report_every = report_first, report_every
        self.empty_batches = self.skipped_steps = 0
        self._in_a_row = self._iters = 0
        self._first_empty = self._ignore_index = None
        self._bad_loss: Optional[str] = None
        self._last_good: Optional[str] = None
        self._wrappers: list = []
        self._buffers: List[torch.Tensor] = []
        self._saved: List[torch.Tensor] = []

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = getattr(model, 'decode_head', None)
        if isinstance(head, torch.nn.ModuleList):
            head = head[-1]
        self._ignore_index = getattr(head, 'ignore_index', None)
        # a resumed run's message hub names the checkpoint it resumed from
        self._last_good = runner.message_hub.get_info('last_ckpt')
        self._buffers = list(model.buffers())
        wrapper = runner.optim_wrapper
        self._wrappers = (
            list(wrapper.values())
            if isinstance(wrapper, OptimWrapperDict) else [wrapper])
        for wrapper in self._wrappers:
            wrapper.update_params = partial(self._update_params, wrapper,
                                            wrapper.update_params)

    def _update_params(self, wrapper, update, loss, *args, **kwargs):
        finite = torch.isfinite(loss.detach()).all().float()
        bad = 1 - finite
        all_reduce(bad)  # so that every process skips the step
        if not bad.item():
            return update(loss, *args, **kwargs)
        self._bad_loss = (
            str(float(loss.detach()))
            if not finite.item() else 'not finite on another process')
        wrapper.zero_grad()
        for buffer, saved in zip(self._buffers, self._saved):
            buffer.copy_(saved)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        self._bad_loss = None
        if self.nonfinite_loss == 'skip':
            self._saved = [b.detach().clone() for b in self._buffers]

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        self._iters += 1
        if self._bad_loss is not None:
            self._nonfinite(runner, outputs or {})
            return
        self._in_a_row = 0
        images = self._empty_images(data_batch)
        if images:
            self._empty(runner, images, outputs)

    def _nonfinite(self, runner, outputs: dict) -> None:
        parts = ', '.join(f'{key}={float(value):.4g}'
                          for key, value in outputs.items()
                          if 'loss' in key and key != 'loss')
        head = f'iteration {runner.iter + 1}: loss is {self._bad_loss}' + (
            f' ({parts})' if parts else '')
        if self.nonfinite_loss == 'stop':
            raise TrainingError(f'{head}; stopped before applying it. '
                                f'{self._resume_hint()}')
        self._in_a_row, self.skipped_steps = (self._in_a_row + 1,
                                              self.skipped_steps + 1)
        outputs.clear()  # a nan would spoil the logged averages
        if self._in_a_row >= self.max_skips:
            raise TrainingError(
                f'{head}; stopped: {self._in_a_row} steps in a row had a '
                'non-finite loss, too many to skip (max_skips='
                f'{self.max_skips}). {self._resume_hint()}')
        runner.logger.warning(f"{head}; skipped this step (nonfinite_loss="
                              f"'skip'), {self._in_a_row} in a row")

    def _resume_hint(self) -> str:
        ckpt = self._last_good
        hint = (f'Last good checkpoint: {ckpt}; resume from it with --resume '
                'after lowering the learning rate or checking the data'
                if ckpt else 'Last good checkpoint: none saved yet; lower '
                'the learning rate or check the data and train again')
        if self.nonfinite_loss == 'stop':
            hint += ", or set nonfinite_loss='skip' to skip such steps"
        return hint

    def _empty_images(self, data_batch) -> List[str]:
        """The image paths of a batch whose every label pixel is ignored;
        empty for other batches and batches without semantic labels."""
        samples = (
            data_batch.get('data_samples')
            if isinstance(data_batch, dict) else None)
        if self._ignore_index is None or not samples:
            return []
        for sample in samples:
            label = getattr(sample, 'gt_sem_seg', None)
            if label is None:
                return []
            if not bool((label.data == self._ignore_index).all()):
                return []
        return [str(s.metainfo.get('img_path', '?')) for s in samples]

    def _empty(self, runner, images: List[str], outputs) -> None:
        if outputs is not None:
            outputs.clear()  # its loss 0 and accuracy 100 measure nothing
        self.empty_batches += 1
        count, it = self.empty_batches, runner.iter + 1
        if self._first_empty is None:
            self._first_empty = it
        if count <= self.report_first:
            more = len(images) - 4
            names = ', '.join(
                images[:4]) + (f' and {more} more' if more > 0 else '')
            runner.logger.warning(
                f'iteration {it}: no valid pixels in this batch (every label '
                f'pixel is the ignore index {self._ignore_index}): {names}; '
                'its loss and accuracy are left out of the log' +
                (f'; further such batches are counted every '
                 f'{self.report_every}' if count == self.report_first else ''))
        elif count % self.report_every == 0:
            runner.logger.warning(f'iteration {it}: {count} batches without '
                                  'valid pixels so far')

    def after_train(self, runner) -> None:
        for wrapper in self._wrappers:
            del wrapper.update_params
        if self.empty_batches:
            runner.logger.warning(
                f'{self.empty_batches} of {self._iters} training batches had '
                'no valid pixels (the first at iteration '
                f'{self._first_empty}); check the labels of their images')
        if self.skipped_steps:
            runner.logger.warning(f'{self.skipped_steps} of {self._iters} '
                                  'training steps were skipped for a '
                                  'non-finite loss')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = [
            key for key, value in checkpoint.get('state_dict', {}).items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())
        ]
        if bad:
            it = checkpoint.get('meta', {}).get('iter', runner.iter)
            raise TrainingError(
                f'iteration {it}: {len(bad)} weight tensors are not finite '
                f'(e.g. {bad[0]}); not saving a checkpoint of them. '
                f'{self._resume_hint()}')
        # CheckpointHook names the file in the message hub before saving it
        self._last_good = runner.message_hub.get_info('last_ckpt')
