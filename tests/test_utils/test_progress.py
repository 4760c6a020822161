import io

from segplug.utils import progress


class _Terminal(io.StringIO):

    def isatty(self):
        return True


def test_quiet_when_not_a_terminal():
    out = io.StringIO()
    assert list(progress(range(5), desc='work', file=out)) == list(range(5))
    assert out.getvalue() == ''


def test_bar_with_rate_and_time_left_on_a_terminal():
    out = _Terminal()
    items = list(progress(iter(range(4)), total=4, desc='work', file=out))
    assert items == [0, 1, 2, 3]
    text = out.getvalue()
    assert text.startswith('work\n')
    assert '4/4' in text and 'task/s' in text and 'ETA' in text
