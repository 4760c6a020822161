"""Argument checks that give the house's "expected X, got Y" errors."""


def check_positive_int(name: str, value) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``value`` is an int > 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f'{name}: expected a positive int, got {type(value).__name__} '
            f'{value!r}')
    if value <= 0:
        raise ValueError(f'{name}: expected a positive int, got {value!r}')
