"""Argument checks that give the house's "expected X, got Y" errors."""


def check_positive_int(name: str, value) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``value`` is an int > 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f'{name}: expected a positive int, got {type(value).__name__} '
            f'{value!r}')
    if value <= 0:
        raise ValueError(f'{name}: expected a positive int, got {value!r}')


def pop_multiple_select(kwargs: dict, owner: str) -> None:
    """Drop ``input_transform`` from a multi-level head's kwargs; any value
    other than 'multiple_select' is an error."""
    value = kwargs.pop('input_transform', 'multiple_select')
    if value != 'multiple_select':
        raise ValueError(f"{owner} input_transform: expected "
                         f"'multiple_select', got {value!r}")
