"""mmengine's Runner with checkpoints a kill cannot tear and checkpoints
that must fit the model before they load, and training that a signal ends
with a checkpoint and that resumes to the same end."""
import errno
import os
import os.path as osp
import random
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch import nn

from .checkpoints.atomic import replace_atomically, temp_name
from .checkpoints.fit import (Fit, describe_fit, fitting_part, measure_fit,
                              weights_of)
from .checks.work_dir import check_room_for_checkpoints, checkpoint_bytes
from .config_types import type_name
from .errors import CheckpointError, TrainingError
from .interrupts import InterruptHook, signals_to_flag

_PARTIAL_HINT = ('pass --cfg-options load_partial=True to load it partly '
                 'on purpose')


def _bare_model(model: nn.Module) -> nn.Module:
    """The model inside DDP-like and test-time-augmentation wrappers."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


@RUNNERS.register_module()
class SegplugRunner(Runner):
    """A :class:`mmengine.runner.Runner` whose checkpoints are safe to
    kill and to load.

    * ``save_checkpoint`` writes under a hidden temporary name in the same
      folder, syncs it and renames it: a kill mid-save leaves the previous
      files as they were and nothing under the checkpoint's name.
    * ``load_checkpoint`` compares the checkpoint's weights with the model
      first. Resuming needs every weight; testing or validating needs every
      weight outside ``auxiliary_head``; ``load_from`` for training needs
      at least half of the parameters (a new ``num_classes`` changes only
      the classifier), unless every tensor of the checkpoint loads (e.g.
      backbone weights alone), and warns in one line about what it skips.
      A config's top-level ``load_partial=True`` turns those errors into
      warnings.

    Args: those of :class:`mmengine.runner.Runner`.
    """
    _fit_rule = 'train'

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        *args,
                        backend_args: Optional[dict] = None,
                        **kwargs) -> None:
        """:meth:`Runner.save_checkpoint`, atomic for local folders."""
        local = (
            file_client_args is None and isinstance(
                get_file_backend(out_dir, backend_args=backend_args),
                LocalBackend))
        if not local:
            return super().save_checkpoint(
                out_dir,
                filename,
                file_client_args,
                *args,
                backend_args=backend_args,
                **kwargs)
        # the random states, so that a resumed run goes on as this one would
        kwargs['meta'] = dict(kwargs.get('meta') or {}, rng=_rng_state())
        tmp = temp_name(filename)
        try:
            super().save_checkpoint(
                out_dir, tmp, None, *args, backend_args=backend_args, **kwargs)
            replace_atomically(
                osp.join(out_dir, tmp), osp.join(out_dir, filename))
        except (OSError, RuntimeError) as err:
            # torch reports a full disk as a RuntimeError of its zip writer
            raise TrainingError(_save_failed(out_dir, filename, err)) from None
        finally:
            if osp.exists(osp.join(out_dir, tmp)):
                os.remove(osp.join(out_dir, tmp))

    def train(self) -> nn.Module:
        """:meth:`Runner.train`, after checking that the work dir has room
        for a checkpoint; a SIGINT or SIGTERM ends it after the iteration
        in progress with a checkpoint (:mod:`.interrupts`)."""
        if self.rank == 0 and '://' not in self.work_dir:
            optimizer = (self.cfg.get('optim_wrapper') or {}).get('optimizer')
            check_room_for_checkpoints(
                self.work_dir,
                checkpoint_bytes(
                    _bare_model(self.model), type_name(optimizer)))
        stopper = InterruptHook()
        self.register_hook(stopper)
        with signals_to_flag():
            try:
                model = super().train()
            except (RuntimeError, ConnectionError, EOFError) as err:
                if not stopper.loader_died(err):
                    raise
                stopper.save_between_iterations(self)
        if stopper.signum is not None:
            raise stopper.outcome(self)
        return model

    def resume(self, filename: str, *args, **kwargs) -> None:
        """:meth:`Runner.resume`; the checkpoint must fit in full. The
        random states it saved are restored last."""
        self._fit_rule = 'resume'
        self._resumed_rng = None
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._fit_rule = 'train'
        if self._resumed_rng is not None:
            _set_rng_state(self._resumed_rng)

    def test(self) -> dict:
        """:meth:`Runner.test`; the checkpoint must fit the segmentor."""
        self._fit_rule = 'eval'
        return super().test()

    def val(self) -> dict:
        """:meth:`Runner.val`; the checkpoint must fit the segmentor."""
        self._fit_rule = 'eval'
        return super().val()

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """:meth:`Runner.load_checkpoint`, refusing a checkpoint that does
        not fit the model (see the class) in one line."""
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        if self._fit_rule == 'resume':
            self._check_training_state(checkpoint, filename)
            self._resumed_rng = checkpoint['meta'].get('rng')
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = _bare_model(self.model)
        weights = weights_of(checkpoint, filename, revise_keys)
        fit = measure_fit(model, weights)
        self._judge_fit(filename, fit, strict)
        model.load_state_dict(fitting_part(weights, fit), strict=False)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @staticmethod
    def _check_training_state(checkpoint, filename: str) -> None:
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        if (isinstance(meta, dict) and {'epoch', 'iter'} <= meta.keys()
                and 'message_hub' in checkpoint):
            return
        raise CheckpointError(
            f'checkpoint {filename} holds no training state (meta.epoch, '
            'meta.iter, message_hub) to resume from; start from its weights '
            f'with --cfg-options load_from={filename} instead of --resume')

    def _judge_fit(self, filename: str, fit: Fit, strict: bool) -> None:
        bad = fit.bad
        if self._fit_rule == 'eval':
            bad = [k for k in bad if not k.startswith('auxiliary_head.')]
            fails = bool(bad)
            why = 'testing needs every weight outside auxiliary_head'
        elif self._fit_rule == 'resume' or strict:
            fails = bool(bad)
            why = ('resuming needs every weight' if self._fit_rule == 'resume'
                   else 'strict loading needs every weight')
        else:  # a checkpoint all of whose tensors load is a partial init
            fails = fit.loaded_share < 0.5 and bool(fit.unexpected
                                                    or fit.mismatched)
            why = "under half of the model's parameters would load"
        if not bad:
            return
        text = f'checkpoint {filename} does not fit the model: '
        text += describe_fit(fit, bad)
        if fails and not self.cfg.get('load_partial', False):
            raise CheckpointError(f'{text}; {why}; {_PARTIAL_HINT}')
        self.logger.warning(f'{text}; those keep their initial values')


def _rng_state() -> dict:
    """torch's, numpy's and Python's random states, as tensors and ints
    (what a weights-only load reads)."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, state, gauss_next = random.getstate()
    return dict(
        torch=torch.get_rng_state(),
        numpy=dict(
            keys=torch.from_numpy(keys.astype(np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            gauss=float(gauss)),
        python=dict(
            version=version, state=torch.tensor(state), gauss=gauss_next))


def _set_rng_state(saved: dict) -> None:
    torch.set_rng_state(saved['torch'])
    numpy = saved['numpy']
    np.random.set_state(('MT19937', numpy['keys'].numpy().astype(np.uint32),
                         numpy['pos'], numpy['has_gauss'], numpy['gauss']))
    python = saved['python']
    random.setstate(
        (python['version'], tuple(python['state'].tolist()), python['gauss']))


def _save_failed(out_dir: str, filename: str, err: Exception) -> str:
    """One line for a checkpoint that could not be written: why, that no
    partial file is left, and the last one that was."""
    reason = getattr(err, 'strerror', None) or str(err).splitlines()[0]
    try:
        if os.statvfs(out_dir).f_bavail == 0:
            reason = os.strerror(errno.ENOSPC)
    except OSError:
        pass
    last_file = osp.join(out_dir, 'last_checkpoint')
    last = (open(last_file).read().strip() if osp.isfile(last_file) else None)
    kept = (f'the last good checkpoint is {last}; free space and resume '
            'with --resume' if last else
            'no checkpoint was saved before it; free space and start again')
    return (f'saving checkpoint {osp.join(out_dir, filename)} failed '
            f'({reason}); no partial file is left, {kept}')
