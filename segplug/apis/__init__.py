"""Applying trained models to images; ``import segplug`` does not import
this package."""
from .prediction import SegPrediction, Segmenter

__all__ = ['SegPrediction', 'Segmenter']
