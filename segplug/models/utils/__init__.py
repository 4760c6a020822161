from .checks import check_positive_int

__all__ = ['check_positive_int']
