"""Hooks the tools add to runs (atomic checkpoints, a training guard, the
fast inference path)."""
from .atomic_checkpoint_hook import (AtomicCheckpointHook,
                                     use_atomic_checkpoints)
from .fast_inference_hook import FastInferenceHook
from .training_guard_hook import TrainingGuardHook, add_training_guard

__all__ = [
    'AtomicCheckpointHook', 'FastInferenceHook', 'TrainingGuardHook',
    'add_training_guard', 'use_atomic_checkpoints'
]
