"""Feature-based multi-label classification (ARFF / LibSVM / CSV datasets of the catalogue, the paper's MLC
experiments): :mod:`~seal.tasks.mlc_features.module` (:class:`MultilabelModule`, every registered method) and
:mod:`~seal.tasks.mlc_features.datamodule` (:class:`MultiLabelDataModule`). Submodules are imported on use; importing
this package registers the ``multilabel`` task (no torch import).
"""

from seal.tasks import Task, register_task

register_task(Task(
    name="multilabel",
    module="seal.tasks.mlc_features.module:MultilabelModule",
    datamodule="seal.tasks.mlc_features.datamodule:MultiLabelDataModule",
    cli="seal.cli.lightning:SEALCLI",
    main_metric="example_f1",
    metric_label="example-F1",
    dataset_tasks=("mlc", "hmlc"),
    loaders=("arff",),
    description="feature-based multi-label classification (ARFF / catalogue datasets)",
    predict="seal.tasks.mlc_features.predict:run_predict",
    summary_metrics=(("example_f1", "ex-F1"), ("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("map", "mAP"),
                     ("hamming_loss", "Hamming")),
    conventions="seal.metrics:MULTILABEL_CONVENTIONS",
    report="seal.tasks.mlc_features.report:REPORT_FAMILIES",
    task_net_hparams="seal.training.hparams:MLCTaskNetHParams",
))
