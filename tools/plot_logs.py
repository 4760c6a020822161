"""Draw training curves and validation metrics.

``segplug plot-logs`` with the same arguments; the code is in
segplug/cli/plot_logs.py.
"""
from segplug.cli.plot_logs import main

if __name__ == '__main__':
    main()
