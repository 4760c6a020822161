"""What a config, or a part of one, is: the class a ``type`` names, the
registries a config's parts build in."""


def type_name(part) -> str:
    """The class name of ``part['type']``, without a scope prefix
    ('mmdet.ResNet' gives 'ResNet'), for a name or a class; '' for a part
    that is no dict or has no type."""
    kind = part.get('type') if isinstance(part, dict) else None
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.split('.')[-1]


def config_scope(cfg) -> str:
    """The registry scope of ``cfg``'s parts: its ``default_scope``, mmseg
    where it names none."""
    return cfg.get('default_scope') or 'mmseg'


def is_detection(cfg) -> bool:
    """Whether ``cfg`` is an mmdet config (detection, instance
    segmentation)."""
    return config_scope(cfg) == 'mmdet'
