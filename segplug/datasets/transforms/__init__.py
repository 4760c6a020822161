from .elastic_deformation import ElasticDeformation, elastic_deform

__all__ = ['ElasticDeformation', 'elastic_deform']
