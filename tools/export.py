"""Export a segmentor to ONNX, checked against PyTorch.

``segplug export`` with the same arguments; the code is in
segplug/cli/export.py.
"""
from segplug.cli.export import main

if __name__ == '__main__':
    main()
