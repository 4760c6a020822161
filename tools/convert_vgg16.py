"""Convert torchvision's VGG-16 weights for VGG16.

``segplug convert-vgg16`` with the same arguments; the code is in
segplug/cli/convert_vgg16.py.
"""
from segplug.cli.convert_vgg16 import main

if __name__ == '__main__':
    main()
