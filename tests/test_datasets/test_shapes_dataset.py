"""ShapesDataset reads the data the shapes generator writes."""
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from segplug.data_preparation import SHAPES_CLASSES


def test_dataset_class_reads_it(shapes_root):
    init_default_scope('mmseg')
    ds = DATASETS.build(
        dict(
            type='ShapesDataset',
            data_root=shapes_root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='ImageSets/Segmentation/val.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')
            ]))
    assert len(ds) == 8
    assert ds.metainfo['classes'] == SHAPES_CLASSES
    seg = ds[0]['data_samples'].gt_sem_seg.data
    assert set(seg.unique().tolist()) <= {0, 1, 2, 3, 4, 255}
