"""``segplug print-config``: the resolved config, checked."""
import pytest

from segplug.cli import print_config


def test_prints_the_resolved_config(capsys, tmp_path):
    out = tmp_path / 'resolved.py'
    print_config.main([
        'deeplabv3plus_shapes', '--cfg-options', 'train_cfg.max_iters=7',
        '--out',
        str(out)
    ])
    text = capsys.readouterr().out
    assert 'max_iters=7' in text and "type='DeepLabV3PlusHead'" in text
    assert "work_dir = './work_dirs/deeplabv3plus_shapes'" in text
    assert 'max_iters=7' in out.read_text()


def test_a_key_no_part_takes_is_one_line():
    with pytest.raises(SystemExit) as info:
        print_config.main([
            'deeplabv3plus_shapes', '--cfg-options',
            'model.decode_head.dropout_ration=0.2'
        ])
    message = str(info.value.code)
    assert message.startswith('error: ') and 'dropout_ration' in message
