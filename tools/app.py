"""Try a trained model in the browser.

``segplug app`` with the same arguments; the code is in segplug/cli/app.py.
"""
from segplug.cli.app import main

if __name__ == '__main__':
    main()
