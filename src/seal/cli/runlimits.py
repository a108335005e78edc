"""Run limits and argument errors for ``seal fit`` / ``seal test`` (used by :mod:`seal.cli.lightning`).

* ``--trainer.max_steps N`` means N **training batches** (the project's step unit, the module's
  ``batches_seen``), not Lightning's ``global_step`` (which counts every optimizer step: several per batch
  under SEAL's alternating updates). :func:`apply_run_limits` turns Lightning's own limit off and installs
  :class:`BatchBudget`, which stops training after batch N; Lightning then validates at that point, so the
  best/last checkpoints and early stopping always see the monitored metric, even when N ends mid-epoch.
* ``--trainer.max_epochs 0`` (or ``max_steps 0``) trains nothing: a warning says so.
* :func:`run_counts` gives a run record's ``epochs`` (epochs run, the last possibly partial) and
  ``batches_seen`` (batches over the whole run), taken before the best checkpoint is restored for testing.
* :class:`HintingParser`: a configuration error (a mistyped key, a bad value) is printed as the error and
  one hint line (a close option name when there is one, and ``--help``), not the usage text.
"""

from __future__ import annotations

import difflib
import re
import sys

from lightning.pytorch.callbacks import Callback
from lightning.pytorch.cli import LightningArgumentParser

__all__ = ["BatchBudget", "HintingParser", "apply_run_limits", "run_counts"]


class BatchBudget(Callback):
    """Stop training once the module has seen ``max_batches`` training batches (``batches_seen``).

    Also records the last epoch in which a training batch ran (``last_epoch``), so that a run stopped
    mid-epoch counts that epoch.
    """

    def __init__(self, max_batches: int | None = None) -> None:
        self.max_batches = None if max_batches is None or max_batches < 0 else int(max_batches)
        self.last_epoch = -1

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.last_epoch = max(self.last_epoch, int(trainer.current_epoch))
        seen = int(getattr(pl_module, "batches_seen", trainer.global_step))
        if self.max_batches is not None and seen >= self.max_batches:
            trainer.should_stop = True  # Lightning validates now, then ends the fit

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict) -> None:
        self.last_epoch = int(state_dict.get("last_epoch", -1))


def _warn(message: str) -> None:
    print(f"seal: warning: {message}", file=sys.stderr)


def apply_run_limits(trainer) -> BatchBudget:
    """Make ``max_steps`` count training batches and warn about limits that train nothing.

    Returns the :class:`BatchBudget` installed in ``trainer.callbacks``.
    """
    max_steps = int(trainer.fit_loop.max_steps)
    max_epochs = trainer.fit_loop.max_epochs
    if max_epochs == 0:
        _warn("--trainer.max_epochs 0 trains nothing: no epoch runs, no checkpoint is written, and the test "
              "below (if any) evaluates the initial, untrained weights")
    if max_steps == 0:
        _warn("--trainer.max_steps 0 trains nothing (it counts training batches): no batch runs, no checkpoint "
              "is written, and the test below (if any) evaluates the initial, untrained weights")
    budget = BatchBudget(max_steps if max_steps > 0 else None)
    if max_steps > 0:
        trainer.fit_loop.epoch_loop.max_steps = -1  # global_step counts optimizer steps; count batches instead
    trainer.callbacks.append(budget)
    return budget


def run_counts(trainer, model) -> dict:
    """``{"epochs": epochs run (a partial last epoch counts), "batches_seen": training batches of the run}``;
    call before testing restores the best checkpoint (whose counters end at the best epoch)."""
    budget = next((cb for cb in trainer.callbacks if isinstance(cb, BatchBudget)), None)
    epochs = int(trainer.current_epoch)
    if budget is not None:
        epochs = max(epochs, budget.last_epoch + 1)
    return {"epochs": epochs, "batches_seen": int(getattr(model, "batches_seen", 0))}


_UNKNOWN = re.compile(r"(?:does not accept option|Key|key|argument|option)\s+'([^']+)'")
#: a mistyped command-line option: ``unrecognized arguments: --data.labelz x``
_UNRECOGNIZED = re.compile(r"unrecognized arguments:\s+--([^\s=]+)")


class HintingParser(LightningArgumentParser):
    """LightningCLI's parser whose errors are one ``error:`` line and one ``hint:`` line on stderr (exit 2)
    instead of the whole usage text; ``SEAL_DEBUG=1`` or ``exit_on_error=False`` keep jsonargparse's way."""

    def error(self, message: str, ex: Exception | None = None):  # noqa: D401 - argparse API
        import os

        if not self.exit_on_error or os.environ.get("SEAL_DEBUG") or os.environ.get("JSONARGPARSE_DEBUG"):
            return super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        prog = parser.prog.replace(" [options]", "")
        first = message.strip().splitlines()[0] if message.strip() else message
        hint = f"run `{prog} --help` for the accepted options"
        m = _UNKNOWN.search(message) or _UNRECOGNIZED.search(message)
        if m is not None:
            close = difflib.get_close_matches(m.group(1), _option_names(parser), n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {close[0]!r}? (run `{prog} --help` for the accepted options)"
        rest = message.strip().splitlines()[1:]
        detail = ("\n" + "\n".join(rest)) if rest and len(rest) <= 6 else ""
        sys.stderr.write(f"{prog}: error: {first}{detail}\nhint: {hint}\n")
        self.exit(2)


def _option_names(parser) -> list[str]:
    names = []
    for action in getattr(parser, "_actions", []):
        dest = getattr(action, "dest", None)
        if dest and dest not in ("help", "config", "print_config"):
            names.append(dest)
    return names
