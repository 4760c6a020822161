"""segplug: the classic segmentation lineage as registered OpenMMLab parts.

Importing the package registers every part in mmseg's registries, lets
mmengine load its checkpoints with ``weights_only=True`` and read
``segplug::family/config.py`` in a config's ``_base_``.
"""
from . import datasets, engine, evaluation, models, recipes  # noqa: F401

engine.install_checkpoint_allow_list()
recipes.install_config_scope()

__version__ = '0.1.0'
