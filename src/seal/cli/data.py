"""``seal data``: inspect, verify and fetch the registered datasets.

Sub-commands::

    seal data list   [--data-dir D] [--json]
    seal data info   NAME [--data-dir D] [--protocol P] [--seed S] [--drop-empty] [--download] [--json]
    seal data verify [NAME ...] [--data-dir D]
    seal data fetch  NAME [NAME ...] [--data-dir D] [--quiet]

Files are looked up in ``--data-dir`` (else ``$SEAL_DATA_DIR``), then in the user cache
(``$SEAL_CACHE_DIR``, default ``~/.cache/seal``); ``fetch`` downloads into the cache.

Exit codes: 0 success; 1 checksum mismatch, failed download or malformed file; 2 usage error,
unknown dataset or missing files. Errors are printed as one line on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from seal.data.catalogue import PROTOCOLS, dataset_names, get_spec
from seal.data.download import ChecksumMismatchError, DownloadError, cache_dir, search_dirs
from seal.data.errors import DatasetError, DatasetNotFoundError
from seal.data.load import load_dataset
from seal.data.locate import FileStatus, fetch_dataset, is_available, verify_dataset

PROG = "seal data"


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line (plus a pointer to --help) and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description=(
            "Inspect, verify and fetch the datasets registered in seal (the SEAL paper's feature-based "
            "multi-label sets, extra MULAN sets, the Weizmann-horse segmentation files, the Reuters-21578 and "
            "GoEmotions text sets and the UP English-EWT SRL files), or describe your own data file with "
            "`seal data info FILE`. Files are read "
            "in place from --data-dir (else $SEAL_DATA_DIR), then from the user cache "
            f"(currently {cache_dir()})."
        ),
        epilog="Exit codes: 0 ok; 1 checksum mismatch / download or parse failure; 2 usage error, unknown dataset or missing files.",
    )
    sub = p.add_subparsers(dest="command", metavar="{list,info,verify,fetch}", parser_class=_Parser)

    def add_data_dir(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--data-dir",
            metavar="D",
            default=None,
            help="directory holding the datasets (layout <name>/..., as shared/data); default $SEAL_DATA_DIR",
        )

    sp = sub.add_parser(
        "list",
        help="table of registered datasets and whether their files are available locally",
        description="List every registered dataset: task, label/feature/instance counts, default split "
        "protocol, whether its files are found locally, and whether the SEAL paper uses it.",
    )
    add_data_dir(sp)
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sp = sub.add_parser(
        "info",
        help="provenance, files and statistics of one dataset (split sizes under each protocol)",
        description="Show a dataset's provenance and files, then load it and print instances, features, "
        "labels, label cardinality and density, empty-label rows and the split sizes under each supported "
        "protocol (or only --protocol). Nothing is downloaded unless --download is given.",
    )
    sp.add_argument("name", help="dataset name (see `seal data list`), or the path of your own data file "
                    "(.arff/.zip, .svm/.libsvm/.svmlight/.txt, .csv, .tsv; text: .jsonl/.jsonl.gz; "
                    "SRL: .conllu, .conll, .conll.zip)")
    add_data_dir(sp)
    sp.add_argument("--protocol", choices=PROTOCOLS, default=None, help="only this split protocol")
    sp.add_argument("--seed", type=int, default=0, help="split seed (folds / validation carve); default 0")
    sp.add_argument("--drop-empty", action="store_true", help="drop rows with an empty label set first")
    sp.add_argument("--download", action="store_true", help="download missing files into the cache")
    sp.add_argument("--json", action="store_true", help="print JSON instead of text")
    own = sp.add_argument_group("your own file (NAME is a path)")
    own.add_argument("--format", choices=("arff", "libsvm", "csv", "tsv", "jsonl"), default=None,
                     help="file format (default: from the extension; jsonl: a text multi-label file of JSON lines)")
    own.add_argument("--label-count", "--label_count", dest="label_count", type=int, default=None,
                     help="the first N attributes/columns are the labels (-N: the last N); wins over a MEKA -C header")
    own.add_argument("--labels", default=None,
                     help="label names, comma-separated (a,b,c or [a, b, c]): the label attributes/columns of a feature "
                     "file, or a text file's label vocabulary in label-id order")
    own.add_argument("--xml", default=None, help="MULAN XML label file (ARFF)")
    own.add_argument("--drop-columns", "--drop_columns", dest="drop_columns", default=None,
                     help="comma-separated attributes / columns that are neither features nor labels (e.g. an id "
                     "column), as --data.drop_columns of seal fit (ARFF, CSV/TSV)")
    own.add_argument("--zero-based", dest="zero_based", choices=("auto", "true", "false"), default="auto",
                     help="LibSVM feature indices (default auto: 0-based with a header line or an index 0)")
    own.add_argument("--val-fraction", "--val_fraction", dest="val_fraction", type=float, default=None,
                     help="share of the file the carve preview puts in validation (default: seal fit's, 0.25 for "
                     "feature files, 0.1 for text)")
    own.add_argument("--text-field", "--text_field", dest="text_field", default="text",
                     help="JSON lines (.jsonl, .jsonl.gz): the field of the text (default 'text')")
    own.add_argument("--labels-field", "--labels_field", dest="labels_field", default="labels",
                     help="JSON lines: the field of the label list (default 'labels')")

    sp = sub.add_parser(
        "verify",
        help="check the sha256 of every local file against the registry",
        description="Compute the SHA-256 of every registered file found locally and compare it with the "
        "registry. Exit 1 on any mismatch; exit 2 if a dataset named on the command line has missing files.",
    )
    sp.add_argument("names", nargs="*", metavar="NAME", help="datasets to verify (default: all)")
    add_data_dir(sp)

    sp = sub.add_parser(
        "fetch",
        help="download a dataset's files into the user cache (verified, atomic)",
        description="Make every file of the named dataset(s) available: files already found locally are "
        "verified, missing ones are downloaded from their pinned public URL into the user cache "
        "($SEAL_CACHE_DIR or ~/.cache/seal), checked against the registry's sha256 and moved into place "
        "atomically.",
    )
    sp.add_argument("names", nargs="+", metavar="NAME", help="dataset name(s)")
    add_data_dir(sp)
    sp.add_argument("--quiet", action="store_true", help="no progress output")
    return p


# ------------------------------------------------------------------------------------------ helpers


def _fmt_table(rows: list[list[str]], header: list[str], right: Sequence[int] = ()) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        cells = []
        for i, c in enumerate(r):
            c = str(c)
            cells.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _num(v) -> str:
    return "-" if v is None else str(v)


# --------------------------------------------------------------------------------------- commands


def _cmd_list(args) -> int:
    from seal.tasks import task_of_kind

    rows, records = [], []
    for name in dataset_names():
        spec = get_spec(name)
        local = is_available(name, data_dir=args.data_dir)
        rec = {
            "name": name,
            "task": spec.task,
            "labels": spec.n_labels,
            "features": spec.n_features,
            "instances": spec.n_instances,
            "protocol": spec.default_protocol,
            "protocols": list(spec.protocols),
            "local": local,
            "paper": spec.used_in_paper,
        }
        task = task_of_kind(spec.task)
        for column, fmt in task.data_list if task is not None else ():  # the task's own cells (segmentation: mask)
            rec[column] = fmt.format(spec=spec)
        records.append(rec)
        rows.append(
            [
                name,
                spec.task,
                _num(rec["labels"]),
                _num(rec["features"]),
                _num(rec["instances"]),
                ",".join(spec.protocols),
                "yes" if local else "no",
                "yes" if spec.used_in_paper else "no",
            ]
        )
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    print(
        _fmt_table(
            rows,
            ["name", "task", "labels", "features", "instances", "protocol", "local", "paper"],
            right=(2, 3, 4),
        )
    )
    print(f"\nsearched: {', '.join(str(d) for d in search_dirs(args.data_dir))}")
    print("protocol: the first listed is the default. local: all files of the default protocol found.")
    return 0


def _file_rows(name: str, data_dir) -> tuple[list[list[str]], list[FileStatus]]:
    statuses = verify_dataset(name, data_dir=data_dir)
    rows = []
    for st in statuses:
        f = st.file
        rows.append(
            [
                f.role,
                f.path,
                _num(f.size),
                (f.sha256[:16] + "...") if f.sha256 else "unknown",
                st.status,
                str(st.path) if st.path else "-",
            ]
        )
    return rows, statuses


def _is_user_file(name: str) -> bool:
    from pathlib import Path

    from seal.data.formats import EXTENSIONS
    from seal.tasks import task_of_file

    return Path(name).suffix.lower() in EXTENSIONS or task_of_file(name) is not None or Path(name).is_file() or "/" in name


#: ``seal data info`` options for a file: ``dest`` -> (flag, default); which of them a task's own files take is
#: the task's ``file_options`` (:class:`seal.tasks.Task`), the rest are the feature formats'
_FILE_OPTIONS: dict[str, tuple[str, object]] = {
    "seed": ("--seed", 0), "label_count": ("--label-count", None), "labels": ("--labels", None),
    "xml": ("--xml", None), "zero_based": ("--zero-based", "auto"), "val_fraction": ("--val-fraction", None),
    "text_field": ("--text-field", "text"), "labels_field": ("--labels-field", "labels"),
    "drop_columns": ("--drop-columns", None),
}


def _own_file_task(args):
    """The registered task whose own file ``args.name`` is (by an explicit ``--format``, else by the file name's
    ending: :func:`seal.tasks.task_of_file`), or ``None`` for the feature formats."""
    from seal.tasks import task_of_file

    return task_of_file(args.name, args.format)  # an explicit --format wins over the extension


def _cmd_info_file(args) -> int:
    from seal.data.formats import name_list
    from seal.data.userdata import describe_file, format_description

    if args.protocol or args.drop_empty or args.download:
        raise ValueError("--protocol/--drop-empty/--download apply to catalogue datasets, not to a file")
    given = [dest for dest, (_, default) in _FILE_OPTIONS.items() if getattr(args, dest) != default]
    labels = name_list(args.labels, "--labels")
    task = _own_file_task(args)
    if task is not None and task.describe_file_function() is not None:  # a task's own file (text: .jsonl, SRL: .conllu)
        refused = [_FILE_OPTIONS[d][0] for d in given if d not in task.file_options]
        if refused:
            raise ValueError(f"{'/'.join(refused)} {'does' if len(refused) == 1 else 'do'} not apply to "
                             f"{task.file_kind or 'a ' + task.name + ' file'}")
        options = {d: (labels if d == "labels" else getattr(args, d)) for d in task.file_options}
        info = task.describe_file_function()(args.name, **options)
        print(json.dumps(info["stats"], indent=2) if args.json else info["text"])
        return 0
    task_only = [_FILE_OPTIONS[d][0] for d in ("text_field", "labels_field") if d in given]
    if task_only:
        raise ValueError(f"{'/'.join(task_only)} apply to JSON-lines text files (.jsonl, .jsonl.gz)")
    zb = {"auto": "auto", "true": True, "false": False}[args.zero_based]
    drop = name_list(args.drop_columns, "--drop-columns") or []
    info = describe_file(args.name, format=args.format, labels=labels, label_count=args.label_count, xml=args.xml,
                         drop_columns=tuple(drop), zero_based=zb, split_seed=args.seed,
                         **({} if args.val_fraction is None else {"val_fraction": args.val_fraction}))
    print(json.dumps(info, indent=2) if args.json else format_description(info))
    return 0


def _describe_hook(name: str):
    """The ``seal data info`` hook of the task serving dataset ``name`` (task registry), or ``None``."""
    from seal.tasks import task_for_dataset

    try:
        return task_for_dataset(name).describe_function()
    except ValueError:
        return None


def _cmd_info(args) -> int:
    if _is_user_file(args.name):
        return _cmd_info_file(args)
    if (args.format or args.label_count is not None or args.labels or args.xml or args.val_fraction is not None
            or args.text_field != "text" or args.labels_field != "labels" or args.drop_columns is not None):
        print(f"{PROG}: error: --format/--label-count/--labels/--xml/--val-fraction/--text-field/--labels-field/"
              "--drop-columns apply "
              f"to a file path, not to the registered dataset {args.name!r}", file=sys.stderr)
        return 2
    spec = get_spec(args.name)
    if args.protocol:
        spec.check_protocol(args.protocol)  # fail before printing anything
    file_rows, statuses = _file_rows(spec.name, args.data_dir)
    report: dict = {
        "name": spec.name,
        "title": spec.title,
        "task": spec.task,
        "used_in_paper": spec.used_in_paper,
        "source": spec.source,
        "citation": spec.citation,
        "license": spec.license,
        "notes": spec.notes,
        "protocols": list(spec.protocols),
        "default_protocol": spec.default_protocol,
        "preprocessing": dict(spec.preprocess),
        "files": [
            {
                "role": s.file.role,
                "path": s.file.path,
                "bytes": s.file.size,
                "sha256": s.file.sha256,
                "url": s.file.url,
                "status": s.status,
                "local_path": str(s.path) if s.path else None,
                "instances": s.file.n_instances,
            }
            for s in statuses
        ],
        "protocol_stats": {},
    }
    if not args.json:
        print(f"{spec.name} -- {spec.title}")
        print(f"task: {spec.task}; used in the SEAL paper: {'yes' if spec.used_in_paper else 'no'}")
        print(f"source: {spec.source}")
        print(f"citation: {spec.citation}")
        print(f"license: {spec.license}")
        if spec.notes:
            print(f"notes: {spec.notes}")
        print("\nfiles:")
        print("  " + _fmt_table(file_rows, ["role", "path", "bytes", "sha256", "status", "found at"], right=(2,)).replace("\n", "\n  "))

    if spec.loader != "arff":
        sizes = {s.file.role: s.file.n_instances for s in statuses}
        report["protocol_stats"]["official"] = {"splits": {k: {"instances": v} for k, v in sizes.items()}}
        described = None
        hook = _describe_hook(spec.name)
        if hook is not None:
            import inspect

            seed_kw = {}
            if "split_seed" in inspect.signature(hook).parameters:
                seed_kw = {"split_seed": args.seed}
            elif args.seed != 0:
                print(f"{PROG}: error: --seed does not apply to {spec.name!r}: its splits are fixed files, no carve is "
                      "seeded", file=sys.stderr)
                return 2
            try:
                described = hook(spec.name, data_dir=args.data_dir, download=args.download, **seed_kw)
                report["protocol_stats"]["official"] = described.get("stats", {})
            except DatasetNotFoundError as e:
                report["protocol_stats"]["official"]["error"] = str(e)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print("\nsplit sizes (official, from the registry): " + " / ".join(f"{k} {_num(v)}" for k, v in sizes.items()))
            if described is None:
                print("(files not found locally: statistics need them; see `seal data fetch`)" if hook is not None
                      else f"(no statistics: the {spec.task!r} task registers no `seal data info` description)")
            else:
                print("  " + described["text"].rstrip("\n").replace("\n", "\n  "))
        return 0

    protocols = [args.protocol] if args.protocol else list(spec.protocols)
    failures = []
    for proto in protocols:
        try:
            ds = load_dataset(
                spec.name,
                data_dir=args.data_dir,
                protocol=proto,
                split_seed=args.seed,
                drop_empty=args.drop_empty,
                download=args.download,
            )
        except DatasetNotFoundError as e:
            failures.append(e)
            report["protocol_stats"][proto] = {"error": str(e)}
            continue
        summ = ds.summary()
        report["protocol_stats"][proto] = summ
        if args.json:
            continue
        default = " (default)" if proto == spec.default_protocol else ""
        print(f"\nprotocol {proto!r}{default}, split seed {args.seed}:")
        print(f"  instances {summ['instances']}, features {summ['features']}, labels {summ['labels']}")
        print(f"  label cardinality {summ['label_cardinality']:.3f}, label density {summ['label_density']:.4f}")
        kept = "dropped" if ds.n_dropped else "kept"
        print(f"  rows with an empty label set: {ds.n_empty} ({kept})")
        pre = summ["preprocessing"]
        pre_txt = ", ".join(f"{k}={v}" for k, v in pre.items() if v is not None and k != "fitted_on")
        print(f"  preprocessing: {pre_txt + ' (statistics from the train split)' if pre_txt else 'none (raw features)'}")
        rows = []
        for k in ("train", "val", "test"):
            s = summ["splits"][k]
            rows.append([k, str(s["instances"]), f"{s['label_cardinality']:.3f}", str(s["empty_rows"]), str(s["labels_unseen"])])
        table = _fmt_table(rows, ["split", "instances", "cardinality", "empty", "labels unseen"], right=(1, 2, 3, 4))
        print("  " + table.replace("\n", "\n  "))
        if proto == "paper" and spec.paper_split_sizes and not spec.fold_files():
            a, b, c = spec.paper_split_sizes
            print(f"  the paper reports {a} / {b} / {c} (authors' folds, secondary source)")
    if args.json:
        print(json.dumps(report, indent=2))
    if failures:
        print(f"{PROG}: error: {failures[0]}", file=sys.stderr)
        return 2
    return 0


def _cmd_verify(args) -> int:
    names = [get_spec(n).name for n in args.names] if args.names else dataset_names()
    explicit = bool(args.names)
    n_ok = n_bad = n_missing = n_unchecked = 0
    missing_named = []
    for name in names:
        for st in verify_dataset(name, data_dir=args.data_dir):
            if st.status == "ok":
                n_ok += 1
                print(f"ok        {name:<15} {st.path}")
            elif st.status == "mismatch":
                n_bad += 1
                print(f"MISMATCH  {name:<15} {st.path}: expected {st.file.sha256}, got {st.actual_sha256}")
            elif st.status == "unchecked":
                n_unchecked += 1
                print(f"unchecked {name:<15} {st.path} (no registered sha256)")
            else:
                n_missing += 1
                if explicit and name not in missing_named:
                    missing_named.append(name)
                print(f"missing   {name:<15} {st.file.path}")
    print(f"\n{n_ok} ok, {n_bad} mismatched, {n_missing} missing, {n_unchecked} unchecked")
    if n_bad:
        print(f"{PROG}: error: {n_bad} file(s) do not match the registry's sha256", file=sys.stderr)
        return 1
    if missing_named:
        print(f"{PROG}: error: files not found locally for: {', '.join(missing_named)} (see the list above)", file=sys.stderr)
        return 2
    return 0


def _cmd_fetch(args) -> int:
    specs = [get_spec(n) for n in args.names]  # unknown names fail before any download

    def progress(relpath: str, got: int, total: int | None) -> None:
        if args.quiet:
            return
        if total:
            print(f"\r  {relpath}: {got / total:6.1%} of {total} bytes", end="", file=sys.stderr, flush=True)
            if got >= total:
                print(file=sys.stderr)

    for spec in specs:
        results = fetch_dataset(spec.name, data_dir=args.data_dir, progress=progress)
        for f, path, action in results:
            print(f"{action:<10} {spec.name:<15} {path}")
    return 0


_COMMANDS = {"list": _cmd_list, "info": _cmd_info, "verify": _cmd_verify, "fetch": _cmd_fetch}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``seal data``; returns the exit code (never raises for expected errors)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed by argparse
        return int(e.code) if isinstance(e.code, int) else (0 if e.code is None else 2)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except (DatasetNotFoundError, NotImplementedError, FileNotFoundError) as e:  # unknown name, missing files
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except (ChecksumMismatchError, DownloadError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except DatasetError as e:  # bad protocol for this dataset, counts differing from the registry
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # malformed file (seal.data.arff.ArffError names file, line, attribute)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # e.g. an unwritable cache directory
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
