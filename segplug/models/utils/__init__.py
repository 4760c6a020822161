from .checks import check_positive_int, pop_multiple_select

__all__ = ['check_positive_int', 'pop_multiple_select']
