"""``segplug::`` names in ``_base_``, as mmengine reads ``mmseg::`` ones.

mmengine 0.10 resolves ``pkg::path`` only for a fixed list of OpenMMLab
packages and reads ``_base_`` before it runs a config's
``custom_imports``. Importing segplug (which segplug's commands and tools
do before they read a config) teaches its config loader the one more
name: ``segplug::family/file.py`` is the packaged config
``segplug/.mim/configs/family/file.py``.

Such a base is read as a relative ``_base_`` is: its parts build in the
default scope of the config that inherits it (segplug's configs set
``default_scope`` to 'mmseg' or 'mmdet' themselves), not under a
'segplug' scope, which has no registries of its own.
"""
from mmengine.config import Config

from .locations import PREFIX, resolve_config


def install_config_scope() -> bool:
    """Let mmengine's ``Config`` resolve ``segplug::`` bases; idempotent.

    Returns:
        bool: False where this mmengine reads bases some other way (then
        ``segplug::`` names fail as mmengine reports them).
    """
    current = Config.__dict__.get('_get_cfg_path')
    if not isinstance(current, staticmethod):
        return False
    original = current.__func__
    if getattr(original, 'segplug_scope', False):
        return True

    def _get_cfg_path(cfg_path: str, filename: str):
        if cfg_path.startswith(PREFIX):
            return resolve_config(cfg_path), None
        return original(cfg_path, filename)

    _get_cfg_path.segplug_scope = True
    Config._get_cfg_path = staticmethod(_get_cfg_path)
    return True
