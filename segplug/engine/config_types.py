"""The bare class name a config's ``type`` stands for."""


def type_name(part) -> str:
    """The class name of ``part['type']``, without a scope prefix
    ('mmdet.ResNet' gives 'ResNet'), for a name or a class; '' for a part
    that is no dict or has no type."""
    kind = part.get('type') if isinstance(part, dict) else None
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.split('.')[-1]
