# Registers every segplug part in mmseg's (and mmdet's) registries, so that
# mmseg's own tools run these configs too.
custom_imports = dict(imports=['segplug'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# segplug's TTA runs a segmentor's postprocessor (the CRF) once on the merge
tta_model = dict(type='SegplugTTAModel')
