"""A progress bar for the long tools, shown on a terminal only, so that
CI logs and redirected output stay quiet."""
import sys
from typing import Iterable, Iterator, Optional, TextIO, TypeVar

T = TypeVar('T')


def progress(items: Iterable[T],
             total: Optional[int] = None,
             desc: str = '',
             file: Optional[TextIO] = None) -> Iterator[T]:
    """Yield ``items``, drawing mmengine's bar (count, items/s, elapsed and
    estimated time left) on ``file`` (stderr) when it is a terminal.

    Args:
        items (Iterable): What to go through.
        total (int, optional): Its length, when ``items`` has none.
        desc (str): A line printed above the bar.
        file (TextIO, optional): Where to draw; default ``sys.stderr``.
    """
    file = sys.stderr if file is None else file
    if total is None and hasattr(items, '__len__'):
        total = len(items)
    if not file.isatty() or not total:
        yield from items
        return
    from mmengine.utils import ProgressBar
    if desc:
        print(desc, file=file)
    bar = ProgressBar(total, file=file)
    for item in items:
        yield item
        bar.update()
    file.write('\n')
