"""Check every sample a config reads.

``segplug check-data`` with the same arguments; the code is in
segplug/cli/check_data.py.
"""
from segplug.cli.check_data import main

if __name__ == '__main__':
    main()
