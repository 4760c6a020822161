"""Serve a local web page to try a trained model on your own images: the
labels with a legend, the dense CRF on and off side by side, each backend
and its time, the label PNGs to download (mmseg configs); masks, boxes and
scores (mmdet configs). Needs ``pip install segplug[app]``."""
import argparse
import os.path as osp

from segplug.cli.arguments import add_cfg_options
from segplug.engine import ConfigError, load_config, user_errors_exit


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Try a trained model in the browser')
    parser.add_argument('config', help='the config the model was trained with')
    parser.add_argument('checkpoint', help='its checkpoint (.pth)')
    parser.add_argument(
        '--onnx',
        nargs='+',
        default=[],
        metavar='MODEL.onnx',
        help='models from segplug export (fp32 or int8), each offered as an '
        'onnxruntime backend')
    parser.add_argument('--port', type=int, default=7860, help='default 7860')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='the address to serve on (default 127.0.0.1: this machine '
        'only)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='mmdet configs: the lowest score drawn (default 0.3)')
    add_cfg_options(parser, 'val_dataloader.dataset.data_root=data/mine')
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f'--port: expected 1 to 65535, got {args.port}')
    return args


def main(argv=None):
    args = parse_args(argv)
    with user_errors_exit():
        try:
            import gradio  # noqa: F401
        except ImportError as err:
            raise ConfigError('segplug app needs gradio: pip install '
                              "'segplug[app]'") from err
        from segplug.app import CSS, AppModels, Page, theme, val_images
        if not osp.isfile(args.checkpoint):
            raise ConfigError(f'checkpoint not found: {args.checkpoint}')
        cfg = load_config(args.config, cfg_options=args.cfg_options)
        models = AppModels(cfg, args.checkpoint, args.onnx, args.device)
        paths, note = val_images(models.cfg)
        page = Page(models, paths, note, args.score_thr)
        title = f'segplug: {osp.basename(args.config)}'
        print(
            f'serving {title} on http://{args.host}:{args.port} '
            f'(backends: {", ".join(models.backends)}); Ctrl-C stops it',
            flush=True)
        try:
            page.blocks(title).launch(
                server_name=args.host,
                server_port=args.port,
                theme=theme(),
                css=CSS,
                quiet=True,
                show_error=True)
        except OSError as err:  # the port is taken, or the host unknown
            raise ConfigError(f'--host {args.host} --port {args.port}: '
                              'cannot serve there; pick another --port '
                              f'({str(err).splitlines()[0]})') from err


if __name__ == '__main__':
    main()
