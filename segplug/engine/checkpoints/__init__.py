"""Checkpoints: weights-only loading through an allow-list, hub weights,
how weights fit a model, what ``--resume`` resumes from."""
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from .hub import load_from_http, load_from_openmmlab
from .loading import checkpoint_safe_globals, load_from_local


def install_checkpoint_allow_list() -> None:
    """Allow mmengine's checkpoint contents in every weights-only load and
    make mmengine load local files through :func:`load_from_local` and
    URLs through the hub cache (:mod:`.hub`).
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('open-mmlab://', 'openmmlab://'),
        loader=load_from_openmmlab,
        force=True)
