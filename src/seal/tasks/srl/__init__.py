"""Semantic role labeling (dependency-head PropBank SRL on UP English-EWT): reader, metrics, networks, module.

The paper's SRL application (``seal-method.md`` B.3, D.3, F.4) on openly available data: the paper's
CoNLL-2005/2012 are LDC-licensed and not available here. Submodules are imported on use:
:mod:`~seal.tasks.srl.reader`, :mod:`~seal.tasks.srl.data`, :mod:`~seal.tasks.srl.metrics`,
:mod:`~seal.tasks.srl.nets`, :mod:`~seal.tasks.srl.module`, :mod:`~seal.tasks.srl.cli`,
:mod:`~seal.tasks.srl.predict`.
Importing this package registers the ``srl`` task (no torch import).
"""

from seal.tasks import Task, register_task

#: file names read as SRL files by ``seal data info FILE`` and ``seal predict --input FILE`` (either layout)
SRL_FILE_SUFFIXES = (".conllu", ".conll", ".conllu.zip", ".conll.zip")


def add_predict_options(parser) -> None:
    """``seal predict`` options of SRL checkpoints (the task's ``predict_options`` hook)."""
    srl = parser.add_argument_group(
        "SRL checkpoints",
        "predict --dataset up_english_ewt [--split S] (the catalogue split, whatever the checkpoint was trained on) "
        "or --input FILE (.conllu, .conll, .conllu.zip, .conll.zip; e.g. your own files), whole; --output "
        "FRAMES.jsonl (JSON lines only); --batch-size applies, --threshold does not")
    srl.add_argument("--frame", type=int, default=None, metavar="N",
                     help="print the predicted frame of predicate instance N (0-based, file order) of the --split or "
                     "--input file readably")


register_task(Task(
    name="srl",
    module="seal.tasks.srl.module:SRLModule",
    datamodule="seal.tasks.srl.data:SRLDataModule",
    cli="seal.tasks.srl.cli:SRLCLI",
    main_metric="labeled_f1",
    metric_label="labeled F1",
    dataset_tasks=("srl",),
    loaders=("srl",),
    description="dependency-head semantic role labeling (UP English-EWT), one instance per predicate",
    describe="seal.tasks.srl.hooks:describe_dataset",
    predict="seal.tasks.srl.hooks:run_predict",
    summary_metrics=(("labeled_f1", "labeled-F1"), ("unlabeled_f1", "unlabeled-F1"), ("ucr_violation_rate", "UCR-viol")),
    conventions="seal.tasks.srl.metrics:SRL_CONVENTIONS",
    report="seal.tasks.srl.report:REPORT_FAMILIES",
    task_net_hparams="seal.training.hparams:SRLTaskNetHParams",
    predict_options="seal.tasks.srl:add_predict_options",
    file_suffixes=SRL_FILE_SUFFIXES,
    file_kind="an SRL file",
    describe_file="seal.tasks.srl.hooks:describe_srl_file",
))
