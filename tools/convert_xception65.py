"""Convert timm's Xception-65 weights for Xception65.

``segplug convert-xception65`` with the same arguments; the code is in
segplug/cli/convert_xception65.py.
"""
from segplug.cli.convert_xception65 import main

if __name__ == '__main__':
    main()
