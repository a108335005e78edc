"""Text multi-label classification with a pre-trained transformer encoder (Reuters-21578, GoEmotions).

Submodules are imported on use: :mod:`~seal.tasks.text_mlc.data` (readers), :mod:`~seal.tasks.text_mlc.features`
(token / frozen-feature caches), :mod:`~seal.tasks.text_mlc.nets` (encoder bodies on the feature-MLC heads),
:mod:`~seal.tasks.text_mlc.datamodule`, :mod:`~seal.tasks.text_mlc.module` (:class:`TextMLCModule`),
:mod:`~seal.tasks.text_mlc.cli` and :mod:`~seal.tasks.text_mlc.predict` (``seal predict``). Importing this package registers the ``text-mlc`` task (no torch import).
"""

from seal.tasks import Task, register_task

def add_predict_options(parser) -> None:
    """``seal predict`` options of text checkpoints (the task's ``predict_options`` hook)."""
    text = parser.add_argument_group("text checkpoints")
    text.add_argument("--text-field", "--text_field", dest="text_field", default=None,
                      help="with --input: the JSON field of the text (default: the training data's, normally 'text')")
    text.add_argument("--labels-field", "--labels_field", dest="labels_field", default=None,
                      help="with --input: the JSON field of the gold labels, optional in the file (default: the "
                      "training data's, normally 'labels')")


register_task(Task(
    name="text-mlc",
    module="seal.tasks.text_mlc.module:TextMLCModule",
    datamodule="seal.tasks.text_mlc.datamodule:TextMLCDataModule",
    cli="seal.tasks.text_mlc.cli:TextMLCCLI",
    main_metric="example_f1",
    metric_label="example-F1",
    dataset_tasks=("text-mlc",),
    loaders=("text",),
    description="text multi-label classification with a pre-trained transformer encoder (Reuters-21578, GoEmotions)",
    describe="seal.tasks.text_mlc.data:describe_dataset",
    predict="seal.tasks.text_mlc.predict:run_predict",
    summary_metrics=(("example_f1", "ex-F1"), ("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("map", "mAP"),
                     ("hamming_loss", "Hamming")),
    conventions="seal.metrics:MULTILABEL_CONVENTIONS",
    report="seal.tasks.text_mlc.report:REPORT_FAMILIES",
    task_net_hparams="seal.training.hparams:TextTaskNetHParams",
    predict_options="seal.tasks.text_mlc:add_predict_options",
    file_suffixes=(".jsonl", ".jsonl.gz"),
    file_format="jsonl",
    file_kind="a JSON-lines text file",
    describe_file="seal.tasks.text_mlc.data:describe_text_file_hook",
    file_options=("labels", "text_field", "labels_field", "val_fraction", "seed"),
))
