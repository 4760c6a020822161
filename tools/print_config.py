"""Print the resolved config, after the checks.

``segplug print-config`` with the same arguments; the code is in
segplug/cli/print_config.py.
"""
from segplug.cli.print_config import main

if __name__ == '__main__':
    main()
