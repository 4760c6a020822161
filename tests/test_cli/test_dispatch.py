"""The ``segplug`` command: its subcommands, help and misspellings; each
tool in tools/ is the same code."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from segplug.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    main(['--help'])
    out = capsys.readouterr().out
    listed = re.findall(r'^  (\S+)  ', out, re.M)
    assert listed == list(COMMANDS)


def test_a_misspelt_command_names_the_closest():
    with pytest.raises(SystemExit) as info:
        main(['trian', 'x.py'])
    assert info.value.code == ("error: segplug has no command 'trian'; did "
                               "you mean 'train'? (segplug --help lists them)")


def test_subcommand_help_is_named_after_the_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(['publish-model', '--help'])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith('usage: segplug publish-model ')


def test_every_command_has_its_tool_wrapper(repo_root):
    """tools/<module>.py runs segplug.cli.<module>.main: one code path.
    Listing and copying the packaged configs are the command's alone."""
    for name, (module, _) in COMMANDS.items():
        if name in ('configs', 'config'):
            continue
        path = osp.join(repo_root, 'tools', f'{module}.py')
        assert osp.isfile(path), path
        text = open(path).read()
        assert f'from segplug.cli.{module} import main' in text, path


def test_python_m_segplug_is_the_command(repo_root):
    proc = subprocess.run([sys.executable, '-m', 'segplug', '--version'],
                          capture_output=True,
                          text=True,
                          cwd='/')
    assert proc.returncode == 0 and proc.stdout.strip() == 'segplug 0.1.0'
