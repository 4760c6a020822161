"""segplug's recipes as the package carries them: its configs and tools
(``segplug/.mim``, laid out as mmseg's), ``segplug::`` config names for
mmengine, and the model index built from the family READMEs."""
from .config_scope import install_config_scope
from .locations import (ConfigNotFoundError, config_root, mim_root,
                        packaged_config_names, resolve_config)
from .model_index import build_model_index, load_model_index

__all__ = [
    'ConfigNotFoundError', 'build_model_index', 'config_root',
    'install_config_scope', 'load_model_index', 'mim_root',
    'packaged_config_names', 'resolve_config'
]
