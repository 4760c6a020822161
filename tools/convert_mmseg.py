"""Convert an mmseg DeepLab v3/v3+/PSPNet checkpoint to segplug's layout.

``segplug convert-mmseg`` with the same arguments; the code is in
segplug/cli/convert_mmseg.py.
"""
from segplug.cli.convert_mmseg import main

if __name__ == '__main__':
    main()
