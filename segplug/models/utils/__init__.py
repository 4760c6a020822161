from .checks import check_positive_int, pop_multiple_select
from .pooled_conv_module import PooledConvModule, sees_one_value

__all__ = [
    'PooledConvModule', 'check_positive_int', 'pop_multiple_select',
    'sees_one_value'
]
