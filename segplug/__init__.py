"""segplug: the classic segmentation lineage as registered OpenMMLab parts.

Importing the package registers every part in mmseg's registries and lets
mmengine load its checkpoints with ``weights_only=True``.
"""
from . import datasets, engine, evaluation, models  # noqa: F401

engine.install_checkpoint_allow_list()

__version__ = '0.1.0'
