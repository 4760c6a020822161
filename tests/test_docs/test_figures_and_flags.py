"""What the docs say of the tools holds: every ``--flag`` a page writes
after a tool or ``segplug`` command is one that tool accepts, and every
table of the benchmarks page says when it was measured."""
import contextlib
import glob
import importlib
import io
import os.path as osp
import re
import sys

import pytest

from segplug.cli import COMMANDS
from ..utils import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAGES = sorted([osp.join(ROOT, 'README.md')] +
               glob.glob(osp.join(ROOT, 'docs', '*.md')) +
               glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
# a tool's invocation up to the end of its line or code span, with the
# line continuations of a code block joined
CALL = re.compile(
    r'(?:python\s+tools/(\w+)\.py|(?<![\w/.-])segplug\s+([a-z][a-z0-9-]*))'
    r'([^`\n]*)')
FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*)')


def _help(argv0: str, main) -> str:
    """What ``main(['--help'])`` prints."""
    out, old = io.StringIO(), sys.argv
    sys.argv = [argv0]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            try:
                main(['--help'])
            except TypeError:  # a main() of sys.argv only
                sys.argv = [argv0, '--help']
                main()
    finally:
        sys.argv = old
    return out.getvalue()


@pytest.fixture(scope='module')
def accepted():
    """{tool or command name: the option strings its --help lists}."""
    options = {}
    for name, (module, _) in COMMANDS.items():
        main = importlib.import_module(f'segplug.cli.{module}').main
        text = _help(name, main)
        options[name] = options[module] = set(FLAG.findall(text))
    for path in glob.glob(osp.join(ROOT, 'tools', 'benchmark_*.py')):
        name = osp.basename(path)[:-3]
        text = _help(name, load_tool(ROOT, name).main)
        options[name] = set(FLAG.findall(text))
    return options


def _calls(page: str):
    text = open(page, encoding='utf-8').read().replace('\\\n', ' ')
    for match in CALL.finditer(text):
        yield match.group(1) or match.group(2), match.group(3)


@pytest.mark.parametrize('page', PAGES, ids=lambda p: osp.relpath(p, ROOT))
def test_flags_named_in_the_docs_exist(page, accepted):
    wrong = []
    for tool, rest in _calls(page):
        if tool not in accepted:
            continue  # a shell script, or a word after 'segplug'
        wrong += [(tool, flag) for flag in FLAG.findall(rest)
                  if flag not in accepted[tool]]
    assert not wrong, f'{osp.relpath(page, ROOT)}: {wrong}'


def test_the_check_can_fail(accepted, tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('`segplug export CONFIG CKPT --format onnx --shapes 4`'
                    '\n\n    python tools/train.py C --work-dir W \\\n'
                    '        --resum\n')
    wrong = [(tool, flag) for tool, rest in _calls(str(page))
             for flag in FLAG.findall(rest) if flag not in accepted[tool]]
    assert wrong == [('export', '--shapes'), ('train', '--resum')]


def test_every_benchmark_table_says_when():
    """A date (YYYY-MM-DD) in the paragraphs above each table, or in the
    line that introduces it."""
    lines = open(
        osp.join(ROOT, 'docs', 'benchmarks.md'),
        encoding='utf-8').read().split('\n')
    undated = []
    for i, line in enumerate(lines):
        if re.match(r'\| *---', line):
            above = '\n'.join(lines[max(0, i - 14):i])
            if not re.search(r'20\d\d-\d\d-\d\d|the same machine and date',
                             above):
                undated.append(lines[i - 1][:60])
    assert not undated
