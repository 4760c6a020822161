"""A CheckpointHook that a kill at any moment leaves with a checkpoint."""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS

from ..checkpoints.atomic import replace_atomically, temp_name
from ..config_types import type_name


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that removes the oldest kept
    checkpoint only after the new one is saved, and writes
    ``<work_dir>/last_checkpoint`` by an atomic rename.

    mmengine removes first, so with ``max_keep_ckpts=1`` a kill during the
    save leaves no checkpoint at all, and a kill while ``last_checkpoint``
    is written leaves it empty. The saves themselves are atomic under
    :class:`segplug.engine.SegplugRunner`, which the tools use.

    Args: those of :class:`mmengine.hooks.CheckpointHook`.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        retired = self._retire_oldest(runner, step)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        _write_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if retired is not None:
            self._remove(retired)

    def _retire_oldest(self, runner, step: int) -> Optional[int]:
        """mmengine's bookkeeping of the kept steps; the step whose file is
        to go once the new one is saved, if any."""
        if self.max_keep_ckpts <= 0:
            return None
        # _save_checkpoint and _save_best_checkpoint may both save a step
        if self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step:
            return None
        retired = None
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            retired = self.keep_ckpt_ids.popleft()
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return retired

    def _remove(self, step: int) -> None:
        path = self.file_backend.join_path(self.out_dir,
                                           self.filename_tmpl.format(step))
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed saves folders
            self.file_backend.rmtree(path)


def _write_atomically(path: str, text: str) -> None:
    tmp = temp_name(path)
    with open(tmp, 'w') as f:
        f.write(text)
    replace_atomically(tmp, path)


def use_atomic_checkpoints(cfg) -> None:
    """Swap mmengine's CheckpointHook in ``cfg`` (``default_hooks`` and
    ``custom_hooks``) for :class:`AtomicCheckpointHook`, a drop-in subclass
    taking the same arguments."""
    hooks = list(cfg.get('custom_hooks') or [])
    if (cfg.get('default_hooks') or {}).get('checkpoint'):
        hooks.append(cfg.default_hooks.checkpoint)
    for hook in hooks:
        kind = hook.get('type') if isinstance(hook, dict) else None
        if kind is CheckpointHook or (isinstance(kind, str)
                                      and type_name(hook) == 'CheckpointHook'):
            hook['type'] = 'AtomicCheckpointHook'
