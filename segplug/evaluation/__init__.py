from .trimap_metric import TrimapIoUMetric, trimap_band

__all__ = ['TrimapIoUMetric', 'trimap_band']
