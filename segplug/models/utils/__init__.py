from .checks import check_positive_int, pop_multiple_select
from .pooled_conv_module import PooledConvModule, sees_one_value
from .receptive_field import ReceptiveField, receptive_field

__all__ = [
    'PooledConvModule', 'ReceptiveField', 'check_positive_int',
    'pop_multiple_select', 'receptive_field', 'sees_one_value'
]
