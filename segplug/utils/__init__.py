"""Small helpers any room may use."""
from .progress import progress

__all__ = ['progress']
