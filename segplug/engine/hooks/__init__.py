"""Hooks the tools add to every run (atomic checkpoints, a training guard)."""
from .atomic_checkpoint_hook import (AtomicCheckpointHook,
                                     use_atomic_checkpoints)
from .training_guard_hook import TrainingGuardHook, add_training_guard

__all__ = [
    'AtomicCheckpointHook', 'TrainingGuardHook', 'add_training_guard',
    'use_atomic_checkpoints'
]
