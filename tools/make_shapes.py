"""Write the synthetic shapes data.

``segplug make-shapes`` with the same arguments; the code is in
segplug/cli/make_shapes.py.
"""
from segplug.cli.make_shapes import main

if __name__ == '__main__':
    main()
