from .aspp import ASPP

__all__ = ['ASPP']
