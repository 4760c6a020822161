"""The browser app (``segplug app``): a trained model on the images a
person uploads, with and without the dense CRF, on each backend. Needs the
``app`` extra (gradio); ``import segplug`` does not import this package."""
from .backends import FAST, PYTORCH, AppModels, Timed, val_images
from .page import CSS, Page, theme
from .views import changed, legend_html, overlay, shares

__all__ = [
    'CSS', 'FAST', 'PYTORCH', 'AppModels', 'Page', 'Timed', 'changed',
    'legend_html', 'overlay', 'shares', 'theme', 'val_images'
]
