"""``seal fit --task text-mlc``: :class:`~seal.cli.lightning.SEALCLI` over the text module and DataModule."""

from __future__ import annotations

from seal.cli.lightning import SEALCLI

__all__ = ["TextMLCCLI", "tuned_threshold_metrics"]


class TextMLCCLI(SEALCLI):
    """:class:`SEALCLI` for ``task: text-mlc``: links the label count and names from the DataModule; monitored on
    validation example-F1; after the test, the thresholds tuned on validation (:func:`tuned_threshold_metrics`)."""

    task_name = "text-mlc"

    def link_arguments(self, parser) -> None:
        parser.link_arguments("data.num_labels", "model.num_labels", apply_on="instantiate")
        parser.link_arguments("data.label_names", "model.label_names", apply_on="instantiate")

    def extra_test_metrics(self, model) -> dict:
        return tuned_threshold_metrics(model, self.datamodule)


def tuned_threshold_metrics(model, datamodule) -> dict:
    """Test example-F1, micro-F1 and macro-F1 at one global decision threshold per metric, each chosen on the
    validation split (grid 0.05, 0.10, ..., 0.95; ties towards 0.5), reported next to the 0.5 numbers, never instead.

    Returns:
        ``{"threshold_tuned", "example_f1_tuned", "threshold_micro_tuned", "micro_f1_tuned",
        "threshold_macro_tuned", "macro_f1_tuned"}`` (floats).
    """
    import torch

    from seal.metrics.functional import example_f1, macro_f1, micro_f1
    from seal.training.seal_module import unpack_batch

    def probs(loader):
        ps, ys = [], []
        model.eval()
        with torch.no_grad():
            for i, batch in enumerate(loader):
                batch = model.transfer_batch_to_device(batch, model.device, 0)
                x, y, _ = unpack_batch(batch)
                ps.append(model.eval_probs(x, i, "threshold tuning").cpu())
                ys.append(y.cpu())
        return torch.cat(ps), torch.cat(ys)

    pv, yv = probs(datamodule.val_dataloader())
    pt, yt = probs(datamodule.test_dataloader())
    grid = [k / 20 for k in range(1, 20)]
    out = {}
    for name, fn, tkey in (("example_f1", example_f1, "threshold_tuned"), ("micro_f1", micro_f1, "threshold_micro_tuned"),
                           ("macro_f1", macro_f1, "threshold_macro_tuned")):
        scores = [float(fn(pv, yv, t)) for t in grid]
        best = max(scores)
        t = min((g for g, s in zip(grid, scores) if s == best), key=lambda g: (abs(g - 0.5), g))
        out[tkey] = float(t)
        out[f"{name}_tuned"] = float(fn(pt, yt, t))
    return out
