"""Binary image segmentation (Weizmann horses 32x32, the paper's segmentation experiments).

Submodules are imported on use: :mod:`~seal.tasks.segmentation.data` (reader, crops, safe ``.npy`` conversion),
:mod:`~seal.tasks.segmentation.datamodule` (:class:`WeizmannDataModule`), :mod:`~seal.tasks.segmentation.module`
(:class:`SegmentationModule`, 36-crop evaluation), :mod:`~seal.tasks.segmentation.cli` (``seal fit``) and
:mod:`~seal.tasks.segmentation.predict` (``seal predict``). The networks are the shared layers'
:class:`seal.energies.segmentation.SegmentationScoreNet` and :class:`seal.task_nets.segmentation.FCNSegmenter`.
Your own data is a ``.npz`` with arrays ``images`` uint8 ``(N, H, W, 3)`` and ``masks`` ``(N, H, W)`` of 0/1
(``seal fit --data.train/--data.val/--data.test``, ``seal data info FILE.npz``, ``seal predict --input``).
Importing this package registers the ``segmentation`` task (no torch import).
"""

from seal.tasks import Task, register_task

def add_predict_options(parser) -> None:
    """``seal predict`` options of segmentation checkpoints (the task's ``predict_options`` hook)."""
    seg = parser.add_argument_group("segmentation checkpoints")
    seg.add_argument("--png", default=None, help="write a PNG grid: image | gold mask | predicted mask(s)")
    seg.add_argument("--images", type=int, nargs="+", default=None, help="indices of the images in the grid (default: 0-5)")
    seg.add_argument("--compare", nargs="+", default=[], metavar="CKPT",
                     help="more segmentation checkpoints whose predictions get their own columns in the grid")
    seg.add_argument("--masks", default=None, metavar="FOLDER",
                     help="with --input image file(s): a folder of gold masks, one per image with the image's file "
                     "stem (.png, .jpg, .jpeg, .bmp; mode L, 1 or P; values 0/1 or 0/255, > 0 is foreground); then "
                     "IoU and pixel accuracy are computed")


register_task(Task(
    name="segmentation",
    module="seal.tasks.segmentation.module:SegmentationModule",
    datamodule="seal.tasks.segmentation.datamodule:WeizmannDataModule",
    cli="seal.tasks.segmentation.cli:SegmentationCLI",
    main_metric="mean_iou",
    metric_label="mean IoU",
    dataset_tasks=("segmentation",),
    loaders=("segmentation",),
    description="binary image segmentation (Weizmann horses), 36-crop evaluation",
    describe="seal.tasks.segmentation.data:describe_dataset",
    predict="seal.tasks.segmentation.predict:run_segmentation",
    data_list=(("features", "32x32x3"), ("labels", "mask")),  # RGB 32x32 images, one {0, 1} mask each
    summary_metrics=(("mean_iou", "mIoU"), ("pixel_accuracy", "pix-acc")),
    conventions="seal.metrics:SEGMENTATION_CONVENTIONS",
    report="seal.tasks.segmentation.report:REPORT_FAMILIES",
    predict_options="seal.tasks.segmentation:add_predict_options",
    file_suffixes=(".npz",),  # images (N, H, W, 3) uint8 + masks (N, H, W) of 0/1: seal data info FILE.npz
    file_kind="a segmentation .npz file",
    describe_file="seal.tasks.segmentation.data:describe_segmentation_file",
    file_options=("val_fraction", "seed"),
))
