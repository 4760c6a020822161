"""The rooms' boundaries: the tools use other rooms through their public
faces (the names a package's ``__all__`` lists), and ``import segplug``
loads the parts, not the tools, the inference API or the benchmarks."""
import ast
import glob
import importlib
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL_FILES = sorted(
    glob.glob(osp.join(ROOT, 'tools', '*.py')) +
    glob.glob(osp.join(ROOT, 'segplug', 'cli', '*.py')))


def _segplug_imports(path):
    """(line, module, names) of every ``from segplug... import`` in the
    file at ``path``, at any depth."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and not node.level and node.module
                and node.module.startswith('segplug')):
            yield node.lineno, node.module, [a.name for a in node.names]


def _private_uses(path):
    """The imports of ``path`` that reach past another room's face."""
    found = []
    for line, module, names in _segplug_imports(path):
        if module == 'segplug.cli' or module.startswith('segplug.cli.'):
            continue  # the tools' own room
        package = osp.join(ROOT, *module.split('.'), '__init__.py')
        if not osp.isfile(package):
            found.append(f'{line}: {module} is a module, not a room')
            continue
        public = getattr(importlib.import_module(module), '__all__', None)
        if public is None and module != 'segplug':
            found.append(f'{line}: {module} has no __all__')
            continue
        hidden = [n for n in names if public is not None and n not in public]
        if hidden:
            found.append(f'{line}: {module}.{hidden} not in its __all__')
    return found


@pytest.mark.parametrize(
    'path', TOOL_FILES, ids=lambda p: osp.relpath(p, ROOT))
def test_tools_use_other_rooms_through_their_faces(path):
    assert _private_uses(path) == []


def test_the_check_can_fail(tmp_path):
    tool = tmp_path / 'tool.py'
    tool.write_text(
        'from segplug.engine.checks.data.file_facts import file_facts\n'
        'from segplug.engine import _not_public\n'
        'from segplug.engine import load_config\n')
    assert _private_uses(str(tool)) == [
        '1: segplug.engine.checks.data.file_facts is a module, not a room',
        "2: segplug.engine.['_not_public'] not in its __all__"
    ]


@pytest.mark.parametrize('room', [
    'segplug.analysis', 'segplug.apis', 'segplug.benchmarking',
    'segplug.converters', 'segplug.data_preparation', 'segplug.deploy',
    'segplug.engine', 'segplug.recipes', 'segplug.utils'
])
def test_every_public_name_is_there(room):
    module = importlib.import_module(room)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert module.__all__ and not missing


def test_import_segplug_loads_no_tool_api_or_benchmark_code():
    code = ('import sys, segplug\n'
            'print(sorted(m for m in sys.modules if m.startswith(('
            '"segplug.benchmarking", "segplug.cli", "segplug.apis", '
            '"segplug.deploy", "segplug.analysis"))))\n')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True,
                         cwd=ROOT).stdout
    assert out.strip() == '[]'
