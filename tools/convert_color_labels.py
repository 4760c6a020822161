"""Turn colour label PNGs into class indices.

``segplug convert-color-labels`` with the same arguments; the code is in
segplug/cli/convert_color_labels.py.
"""
from segplug.cli.convert_color_labels import main

if __name__ == '__main__':
    main()
