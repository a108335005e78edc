"""Dataset registry: names, files, checksums, download URLs, split protocols and preprocessing.

Every dataset of the SEAL paper's feature-based multi-label experiments (Lee et al., NeurIPS 2022,
Table 1 / Appendix; see ``docs/seal-method.md`` section D) has an entry, plus four standard extra MULAN
sets and the Weizmann-horse segmentation files:

============== ====== ======== ======== ========= ============ =========================================
name           task   features labels   instances protocol     source (public repository @ commit)
============== ====== ======== ======== ========= ============ =========================================
bibtex         mlc    1836     159      7395      paper        tsoumakas/mulan@43f6389 (MULAN)
delicious      mlc    500      983      16105     paper        tsoumakas/mulan@43f6389
genbase        mlc    1185     27       662       paper        tsoumakas/mulan@43f6389 (``protein`` id dropped)
cal500         mlc    68       174      502       paper        tsoumakas/mulan@43f6389 (standardised)
expr_fun       hmlc   561      500      3779      official     tondach01/hiclass@b4d65a1 (Clus HMC FunCat)
spo_fun        hmlc   86       500      3703      official     tondach01/hiclass@b4d65a1
eurlex_ev      mlc    5000     3993     19350     paper        not public (SEAL authors' MEKA folds)
yeast, scene, emotions, enron: extra MULAN sets, ``official`` protocol
weizmann_horse segmentation, 160 / 40 / 128 images (load_segmentation_dataset)
============== ====== ======== ======== ========= ============ =========================================

Files are addressed by paths relative to a data root laid out like ``shared/data``
(``bibtex/mulan/bibtex.arff``, ``expr_fun/expr_FUN.train.arff.zip``) and looked up in the roots of
:func:`seal.data.download.search_dirs`: the ``data_dir`` argument (else ``$SEAL_DATA_DIR``), then the
user cache (``$SEAL_CACHE_DIR`` or ``~/.cache/seal``). Missing files with a public URL are downloaded
into the cache when ``download=True`` (atomically, verified against the SHA-256 recorded here). The
SHA-256, sizes and counts come from each dataset's ``PROVENANCE.md`` (MULAN ``.xml`` digests were
computed from the byte-for-byte copies). Files are read in place, never copied.

Split protocols (see :mod:`seal.data.splits`): ``paper`` pools all instances and makes 10 folds by
iterative stratification (folds 1-6 train / 7-8 val / 9-10 test); ``official`` uses the distribution's
own train/(valid)/test split and carves 1/4 of train as validation when there is none.

Empty label sets: counted as ``n_empty`` and kept unless ``drop_empty=True`` (the paper's reader dropped
them silently, method doc H.13). The fold assignment is computed before dropping, so a row lands in the
same split whichever way ``drop_empty`` is set.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from seal.data.download import (
    ChecksumMismatchError,
    DownloadError,
    cache_dir,
    download_file,
    find_file,
    search_dirs,
    sha256_file,
)
from seal.data.preprocess import FeaturePreprocessor, NonFiniteFeatureError
from seal.data.splits import folds_to_splits, official_splits, paper_folds

__all__ = [
    "ChecksumMismatchError",
    "DataFile",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "DownloadError",
    "FileStatus",
    "MultiLabelDataset",
    "PROTOCOLS",
    "ReaderOptions",
    "UnknownDatasetError",
    "clear_cache",
    "dataset_names",
    "fetch_dataset",
    "get_spec",
    "load_dataset",
    "load_segmentation_dataset",
    "locate_files",
    "register_dataset",
    "verify_dataset",
]

PROTOCOLS = ("paper", "official")
SPLIT_NAMES = ("train", "val", "test")


# ------------------------------------------------------------------------------------------- errors


class DatasetError(ValueError):
    """A registered dataset cannot be loaded as asked (bad protocol, unexpected shape, bad values)."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset's files are not available locally (and cannot or may not be downloaded).

    Attributes:
        name: dataset name.
        missing: relative paths of the missing files.
        searched: directories searched.
    """

    def __init__(self, message: str, *, name: str = "", missing: Iterable[str] = (), searched: Iterable = ()) -> None:
        super().__init__(message)
        self.name = name
        self.missing = list(missing)
        self.searched = [str(s) for s in searched]

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownDatasetError(DatasetNotFoundError):
    """No dataset of that name is registered."""


# -------------------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Attributes:
        path: POSIX path relative to a data root, e.g. ``"bibtex/mulan/bibtex.arff"``.
        role: ``"all"`` (every instance), ``"train"``, ``"val"``, ``"test"``, ``"foldK"`` (K = 1..10, a
            given fold), ``"xml"`` (MULAN label header) or ``"other"``.
        sha256: expected hex digest, ``None`` when unknown.
        size: expected byte count, ``None`` when unknown.
        url: public download URL pinned to a commit, ``None`` when there is none.
        n_instances: rows in the file (ARFF) or images (npz), from PROVENANCE.md.
        member_sha256: for a ``.zip``, the digest of the single member it holds (informational).
    """

    path: str
    role: str
    sha256: str | None = None
    size: int | None = None
    url: str | None = None
    n_instances: int | None = None
    member_sha256: str | None = None

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ReaderOptions:
    """Keyword options for :func:`seal.data.arff.read_arff` (the xml path is filled in at load time)."""

    xml: bool = False
    label_count: int | None = None
    drop_attributes: tuple[str, ...] = ()
    hierarchy_root: bool = False
    missing: str = "error"

    def kwargs(self, xml_path: Path | None) -> dict[str, Any]:
        kw: dict[str, Any] = {"missing": self.missing}
        if self.xml:
            kw["xml"] = str(xml_path)
        if self.label_count is not None:
            kw["label_count"] = self.label_count
        if self.drop_attributes:
            kw["drop_attributes"] = tuple(self.drop_attributes)
        if self.hierarchy_root:
            kw["hierarchy_root"] = True
        return kw


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry.

    Attributes:
        name: registry key.
        task: ``"mlc"`` (feature-based multi-label), ``"hmlc"`` (hierarchical multi-label, the label
            vector includes every ancestor and the root) or ``"segmentation"``.
        title: one-line description.
        files: the dataset's files (all protocols).
        n_instances, n_features, n_labels: expected counts after reading (pooled instances, feature
            columns after one-hot/drops, label columns); ``None`` when unknown.
        protocols: supported split protocols; ``default_protocol`` is the first.
        reader: ARFF reader options.
        preprocess: :class:`~seal.data.preprocess.FeaturePreprocessor` parameters, fitted on train.
        loader: ``"arff"``; anything else is not loadable by :func:`load_dataset`.
        used_in_paper: whether SEAL reports results on it.
        paper_split_sizes: train/val/test sizes reported for the paper (secondary source), if any.
        source, citation, license, notes: provenance text shown by ``seal data info``.
        obtain: how to get files that cannot be downloaded (shown in "not found" errors).
        fetcher: ``"module:function"`` that produces a missing file that has no direct URL (e.g. by
            downloading and converting an upstream format); called as ``fn(file, dest, progress)`` and
            must return the written path; the result is verified against ``file.sha256``.
    """

    name: str
    task: str
    title: str
    files: tuple[DataFile, ...]
    n_instances: int | None
    n_features: int | None
    n_labels: int | None
    protocols: tuple[str, ...]
    reader: ReaderOptions = field(default_factory=ReaderOptions)
    preprocess: Mapping[str, Any] = field(default_factory=dict)
    loader: str = "arff"
    used_in_paper: bool = False
    paper_split_sizes: tuple[int, int, int] | None = None
    source: str = ""
    citation: str = ""
    license: str = ""
    notes: str = ""
    obtain: str = ""
    fetcher: str = ""

    @property
    def default_protocol(self) -> str | None:
        return self.protocols[0] if self.protocols else None

    def file(self, role: str) -> DataFile | None:
        for f in self.files:
            if f.role == role:
                return f
        return None

    def fold_files(self) -> list[DataFile]:
        folds = [f for f in self.files if f.role.startswith("fold")]
        return sorted(folds, key=lambda f: int(f.role[4:]))

    def parts(self, protocol: str) -> list[DataFile]:
        """Data files read for ``protocol``, in pooling order (no xml)."""
        self.check_protocol(protocol)
        if protocol == "paper":
            folds = self.fold_files()
            if folds:
                return folds
            union = self.file("all")
            if union is not None:
                return [union]
        parts = [self.file(r) for r in SPLIT_NAMES]
        return [p for p in parts if p is not None]

    def files_for(self, protocol: str) -> list[DataFile]:
        """Every file needed to load under ``protocol`` (data parts plus the xml label header)."""
        files = list(self.parts(protocol))
        xml = self.file("xml")
        if self.reader.xml and xml is not None:
            files.append(xml)
        return files

    def check_protocol(self, protocol: str) -> None:
        if protocol not in self.protocols:
            supported = ", ".join(self.protocols) or "none"
            why = ""
            if protocol == "official" and self.file("train") is None:
                why = " (the distribution has no train/test split)"
            raise DatasetError(
                f"dataset {self.name!r} does not support protocol {protocol!r}{why}; supported: {supported}"
            )


_MULAN_COMMIT = "43f6389095ad71984264db4387a8074b22bc7d4a"
_MULAN_RAW = f"https://raw.githubusercontent.com/tsoumakas/mulan/{_MULAN_COMMIT}/data/multi-label"
_HICLASS_COMMIT = "b4d65a1918626db564994884816f6dc2c9bb8ff6"
_HICLASS_RAW = f"https://raw.githubusercontent.com/tondach01/hiclass/{_HICLASS_COMMIT}/datasets_FUN"
_MULAN_LICENSE = (
    "no license stated for the data files (MULAN software is GPL-3.0); redistributed by the MULAN authors "
    "for research, credit the original source"
)


def _mulan_file(ds: str, filename: str, role: str, sha256: str, size: int, n: int | None = None) -> DataFile:
    return DataFile(
        path=f"{ds}/mulan/{filename}",
        role=role,
        sha256=sha256,
        size=size,
        url=f"{_MULAN_RAW}/{ds}/{filename}",
        n_instances=n,
    )


def _funcat_file(ds: str, stem: str, split: str, role: str, sha256: str, size: int, n: int, member: str) -> DataFile:
    filename = f"{stem}.{split}.arff.zip"
    return DataFile(
        path=f"{ds}/{filename}",
        role=role,
        sha256=sha256,
        size=size,
        url=f"{_HICLASS_RAW}/{stem}/{filename}",
        n_instances=n,
        member_sha256=member,
    )


_PAPER_FOLDS_NOTE = (
    "SEAL used the authors' MEKA stratified 10-fold files (Google Drive, not public); the 'paper' protocol "
    "rebuilds comparable folds by iterative stratification, so split membership differs from the paper's."
)

_SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="bibtex",
        task="mlc",
        title="Bibtex: BibSonomy tag suggestion (sparse binary bag-of-words)",
        files=(
            _mulan_file("bibtex", "bibtex.arff", "all", "a282a6d1fb3cdaf39bde3f81cd4e6079850a7a538a6bc44f8b4ed95dfe1e5014", 3457832, 7395),
            _mulan_file("bibtex", "bibtex-train.arff", "train", "8dcc9de6e0b2cebaec8c1f4fac78431adeeb73cfd3ab879b530a66d366e59174", 2292961, 4880),
            _mulan_file("bibtex", "bibtex-test.arff", "test", "9b03329cde64d3f994bdf7fbbac3f3b10fe185c311cb9ae725475f59c7f3f922", 1215637, 2515),
            _mulan_file("bibtex", "bibtex.xml", "xml", "08fe20013c1e75dcf1888c185f5187c95e76495b8518ce289b4d3afce38d1232", 5880),
        ),
        n_instances=7395,
        n_features=1836,
        n_labels=159,
        protocols=("paper", "official"),
        reader=ReaderOptions(xml=True),
        used_in_paper=True,
        paper_split_sizes=(4407, 1491, 1497),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/bibtex/",
        citation="Katakis, Tsoumakas & Vlahavas, Multilabel Text Classification for Automated Tag Suggestion, ECML/PKDD 2008 Discovery Challenge",
        license=_MULAN_LICENSE,
        notes=_PAPER_FOLDS_NOTE,
    ),
    DatasetSpec(
        name="delicious",
        task="mlc",
        title="Delicious: del.icio.us bookmark tags (sparse binary features)",
        files=(
            _mulan_file("delicious", "delicious.arff", "all", "b944de0bca910050c11d97eed57d17b073110ea3646a587f3d15d127cf581aab", 3773732, 16105),
            _mulan_file("delicious", "delicious-train.arff", "train", "030186cdb542ebdd32052fcdbb1ebe30115b3a22518c1b4b198c45eb827aebe1", 3056590, 12920),
            _mulan_file("delicious", "delicious-test.arff", "test", "2dfb01723a819914b0ca83361177ed413ce3f2169851d9f228d4692915d63944", 757565, 3185),
            _mulan_file("delicious", "delicious.xml", "xml", "4e0c0f93c7d86a39b9fca4aaefaa00e9428f2c80277732dfbf03ca48e2c14da2", 34303),
        ),
        n_instances=16105,
        n_features=500,
        n_labels=983,
        protocols=("paper", "official"),
        reader=ReaderOptions(xml=True),
        used_in_paper=True,
        paper_split_sizes=(9698, 3210, 3197),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/delicious/",
        citation="Tsoumakas, Katakis & Vlahavas, Effective and Efficient Multilabel Classification in Domains with Large Number of Labels, ECML/PKDD 2008 MMD workshop",
        license=_MULAN_LICENSE,
        notes=_PAPER_FOLDS_NOTE + " The union file has rows with an empty label set (kept unless drop_empty=True; the paper's reader dropped them).",
    ),
    DatasetSpec(
        name="genbase",
        task="mlc",
        title="Genbase: protein function from PROSITE motifs (binary YES/NO features)",
        files=(
            _mulan_file("genbase", "genbase.arff", "all", "cb23052a49191e36e9a59cd661e97d79bed2e3f2583030a206692b57bf1e3671", 3238276, 662),
            _mulan_file("genbase", "genbase-train.arff", "train", "37670db2c2b308a1c163d05501819526f1d65d659638ddfb76812d4ce384b5c6", 1714007, 463),
            _mulan_file("genbase", "genbase-test.arff", "test", "0e988520bedab39aa3f23f08f646c769bcdb6f9119ee298fd92b37127b226a36", 758739, 199),
            _mulan_file("genbase", "genbase.xml", "xml", "198e8a1d7070e9603119e02e626cedc589db7577339b307b06f5192047b69eb9", 992),
        ),
        n_instances=662,
        n_features=1185,
        n_labels=27,
        protocols=("paper", "official"),
        reader=ReaderOptions(xml=True, drop_attributes=("protein",)),
        used_in_paper=True,
        paper_split_sizes=(398, 132, 132),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/genbase/",
        citation="Diplaris, Tsoumakas, Mitkas & Vlahavas, Protein Classification with Multiple Algorithms, PCI 2005",
        license=_MULAN_LICENSE,
        notes=_PAPER_FOLDS_NOTE + " The nominal 'protein' id attribute is dropped (SEAL's input_dim 1186 counted it); "
        "motif features are decoded by value (YES=1, NO=0).",
    ),
    DatasetSpec(
        name="cal500",
        task="mlc",
        title="CAL500: music annotation (dense numeric audio features)",
        files=(
            _mulan_file("cal500", "cal500.arff", "all", "cfe6097ba5fd6e8584e54911ab9783dcab34e898446b7c9370c71d477eae56d3", 492857, 502),
            _mulan_file("cal500", "cal500.xml", "xml", "877e128531268d7661faa3e44f7bb43cbcda829c0895e49879168775b192728c", 7901),
        ),
        n_instances=502,
        n_features=68,
        n_labels=174,
        protocols=("paper",),
        reader=ReaderOptions(xml=True),
        preprocess={"scale": "standard"},
        used_in_paper=True,
        paper_split_sizes=(283, 105, 114),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/cal500/",
        citation="Turnbull, Barrington, Torres & Lanckriet, Semantic Annotation and Retrieval of Music and Sound Effects, IEEE TASLP 16(2), 2008",
        license=_MULAN_LICENSE,
        notes=_PAPER_FOLDS_NOTE + " MULAN ships no train/test split, so only 'paper' is available. SEAL read "
        "MEKA 'CAL500-fold*-normalised.arff' files (features rescaled; a normalisation script in the authors' "
        "tooling style fits sklearn MinMaxScaler on all folds pooled). Here features are standardised "
        "(z-score) with statistics of the TRAINING split only, so no validation/test information leaks; "
        "FeaturePreprocessor(scale='minmax') is available for a closer imitation.",
    ),
    DatasetSpec(
        name="expr_fun",
        task="hmlc",
        title="Expr FunCat: yeast microarray expression, FunCat tree (499 nodes + root)",
        files=(
            _funcat_file("expr_fun", "expr_FUN", "train", "train", "ab7a5f12c994caa2219ea3c40026f1b67475831fd4cc71917b53b71a1c84b83e", 1466026, 1639, "100314a68323f03a5fa348d57fbf08b62ddff414a0d4c28881157024750b8134"),
            _funcat_file("expr_fun", "expr_FUN", "valid", "val", "0c473a2b3864c2d1282cf3ecceca4d5b5f3b4ef212d9c54e9b5da56973d78d7d", 764902, 849, "345aeb499a813118b5da6e43ea51a759f787fa5772f2907f0f789068c0ad82c7"),
            _funcat_file("expr_fun", "expr_FUN", "test", "test", "dc6d111d9fb0dd8e05798f86bcf26dd538892490f43506e3814bedf2dbc24432", 1158519, 1291, "1e7c095a3ce32efa3a81357fd79102e55f282bfa3a4aab40a9c810e5fc4fde0d"),
        ),
        n_instances=1639 + 849 + 1291,
        n_features=561,
        n_labels=500,
        protocols=("official",),
        reader=ReaderOptions(hierarchy_root=True, missing="nan"),
        preprocess={"impute": "mean", "scale": "standard"},
        used_in_paper=True,
        paper_split_sizes=(1639, 849, 1291),
        source=f"tondach01/hiclass@{_HICLASS_COMMIT}:datasets_FUN/expr_FUN/ (original DTAI KU Leuven Clus HMC zips)",
        citation="Clare & King (yeast functional genomics, MIPS FunCat); splits from Vens et al., Decision trees for hierarchical multi-label classification, Machine Learning 73(2), 2008",
        license="none stated; research use, cite the above",
        notes="Official Clus train/valid/test split (SEAL's 'train/dev/test'). Labels = 499 FunCat nodes with "
        "ancestors implied + an artificial root = 500. Missing values are imputed with TRAINING-split means and "
        "every column standardised with training statistics (C-HMCNN fits both on train+valid). Nominal "
        "attributes are one-hot encoded by the reader (551 attributes -> 561 features).",
    ),
    DatasetSpec(
        name="spo_fun",
        task="hmlc",
        title="Spo FunCat: yeast sporulation time course, FunCat tree (499 nodes + root)",
        files=(
            _funcat_file("spo_fun", "spo_FUN", "train", "train", "6f9235a1c2f64f554c7c6211576a68fa0072b4c47dbbddca8042e1afccbdccf3", 254771, 1600, "8049c3a620b8fcbbbe3f195ccca7dafb36372fce418d9bfe49d6ffadd4bcf6ca"),
            _funcat_file("spo_fun", "spo_FUN", "valid", "val", "98553ac5a89fd666fa0dd1ba69f54c0131833dce374b326e8e9639cd115dd327", 135025, 837, "5ab7eaab567b80144299761abec833aa1a4a1115a347819362d06a149b43b0cf"),
            _funcat_file("spo_fun", "spo_FUN", "test", "test", "278ba15e9f48b0230a8c03b595f7d380045b0eb2b5c14027af5f6d06621e6e5e", 202827, 1266, "18a9be63b28d636e767b5886121dee5ddc8ae5a61a05098408d1b8991419f284"),
        ),
        n_instances=1600 + 837 + 1266,
        n_features=86,
        n_labels=500,
        protocols=("official",),
        reader=ReaderOptions(hierarchy_root=True, missing="nan"),
        preprocess={"impute": "mean", "scale": "standard"},
        used_in_paper=True,
        paper_split_sizes=(1600, 837, 1266),
        source=f"tondach01/hiclass@{_HICLASS_COMMIT}:datasets_FUN/spo_FUN/ (original DTAI KU Leuven Clus HMC zips)",
        citation="Clare & King (yeast functional genomics, MIPS FunCat); splits from Vens et al., Machine Learning 73(2), 2008",
        license="none stated; research use, cite the above",
        notes="As expr_fun: official split, train-mean imputation and train-statistics standardisation; "
        "80 attributes -> 86 features after one-hot.",
    ),
    DatasetSpec(
        name="eurlex_ev",
        task="mlc",
        title="EUR-Lex EUROVOC descriptors (SEAL's normalised MEKA 10-fold version)",
        files=tuple(
            DataFile(path=f"eurlex_ev/Eurlex-ev-fold{k}-normalised.arff", role=f"fold{k}") for k in range(1, 11)
        ),
        n_instances=None,
        n_features=5000,
        n_labels=3993,
        protocols=("paper",),
        reader=ReaderOptions(label_count=-3993),
        used_in_paper=True,
        paper_split_sizes=(11581, 3883, 3884),
        source="SEAL authors' Google Drive tarball eurlex-ev-stratified10folds-meka.tar.gz (iesl/seal-neurips-2022 download_datasets.sh); no public mirror known",
        citation="Loza Mencia & Fuernkranz, Efficient pairwise multilabel classification for large-scale problems in the legal domain, ECML/PKDD 2008",
        license="unknown",
        notes="Not available in this project's data. 19350 instances x 5000 continuous features x 3993 labels per "
        "the authors' script (19348 after dropping empty label sets). When the ten fold files are present the "
        "paper protocol uses their own fold membership (folds 1-6/7-8/9-10) instead of rebuilding folds; "
        "features are used as given (already normalised); labels are the last 3993 attributes.",
        obtain="obtain eurlex-ev-stratified10folds-meka.tar.gz from the SEAL authors and extract the ten "
        "'-normalised' fold files",
    ),
    DatasetSpec(
        name="yeast",
        task="mlc",
        title="Yeast: gene function classes (dense numeric)",
        files=(
            _mulan_file("yeast", "yeast.arff", "all", "55c07a3b6ff885ae338fb6987a1d57f55572b29809922c2822c4885c61230dd7", 2416688, 2417),
            _mulan_file("yeast", "yeast-train.arff", "train", "e759dc991ff54694a4ff9c4314f3be0d6fd2b1994a4b563f57e416394c6aebbd", 1501117, 1500),
            _mulan_file("yeast", "yeast-test.arff", "test", "4aaac102bff9669a765bf0b378602e5cc8c3b181048282e2f003117b496d552a", 918515, 917),
            _mulan_file("yeast", "yeast.xml", "xml", "c3056cc26444b5158b1588d1b73bec9c45429e10f0957ad085903423cb81f247", 526),
        ),
        n_instances=2417,
        n_features=103,
        n_labels=14,
        protocols=("official", "paper"),
        reader=ReaderOptions(xml=True),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/yeast/",
        citation="Elisseeff & Weston, A kernel method for multi-labelled classification, NIPS 2001",
        license=_MULAN_LICENSE,
        notes="Extra benchmark (not in the SEAL paper). Official MULAN train/test; validation = 1/4 of train, stratified.",
    ),
    DatasetSpec(
        name="scene",
        task="mlc",
        title="Scene: image scene classes (dense numeric)",
        files=(
            _mulan_file("scene", "scene-train.arff", "train", "b53ba93bdf412de922e3960389bcee24744fa3e872ce610511fc1d750888b64d", 3127968, 1211),
            _mulan_file("scene", "scene-test.arff", "test", "ea38d20296b3ff7e220f477a3b802a9bcb2d768881fe6ee163efbc97ea527a42", 3090742, 1196),
            _mulan_file("scene", "scene.xml", "xml", "55d8b247b949ad5c52e5a73d8c6775ec6e5469ce9682465b45b333b68ee4bcc5", 285),
        ),
        n_instances=1211 + 1196,
        n_features=294,
        n_labels=6,
        protocols=("official", "paper"),
        reader=ReaderOptions(xml=True),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/scene/",
        citation="Boutell, Luo, Shen & Brown, Learning multi-label scene classification, Pattern Recognition 37(9), 2004",
        license=_MULAN_LICENSE,
        notes="Extra benchmark. No union file: 'paper' pools train+test.",
    ),
    DatasetSpec(
        name="emotions",
        task="mlc",
        title="Emotions: music emotions (dense numeric)",
        files=(
            _mulan_file("emotions", "emotions.arff", "all", "6f2f790047073d1293ac0872c0d55f2dc98b6177802fc96c6b66b309dfee1e4b", 380476, 593),
            _mulan_file("emotions", "emotions-train.arff", "train", "bbe704106c79bb8fb99c1d1d2e9bde081d6a2daeb01f100862f11fd91a3c1f98", 252080, 391),
            _mulan_file("emotions", "emotions-test.arff", "test", "f13d4b746b7b5c8eb484bd751d6ac463d4560dff998a93516a5c1fe35daf6c8f", 132007, 202),
            _mulan_file("emotions", "emotions.xml", "xml", "dbce8e6ccbbb2fcbfd9e9edbb230d7ed12692c6e13f59fdbc0161fa9b6cf2dc0", 323),
        ),
        n_instances=593,
        n_features=72,
        n_labels=6,
        protocols=("official", "paper"),
        reader=ReaderOptions(xml=True),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/emotions/",
        citation="Trohidis, Tsoumakas, Kalliris & Vlahavas, Multilabel Classification of Music into Emotions, ISMIR 2008",
        license=_MULAN_LICENSE,
        notes="Extra benchmark (not in the SEAL paper).",
    ),
    DatasetSpec(
        name="enron",
        task="mlc",
        title="Enron: e-mail categories (sparse binary bag-of-words)",
        files=(
            _mulan_file("enron", "enron.arff", "all", "d0889ef0576d4e7b5ec0df3b3e4760e476ac11a6e7d7ddeee4c4a34470dedf97", 906705, 1702),
            _mulan_file("enron", "enron-train.arff", "train", "2988cefc1cdf7a8004a20ef84615cc8fa1b5d7434c16687283b41454e2d9d194", 607799, 1123),
            _mulan_file("enron", "enron-test.arff", "test", "2f3aad54a8f54caaab4ab01246fe9dd385ba944a2633028f52747b57eac5474e", 324140, 579),
            _mulan_file("enron", "enron.xml", "xml", "ed40c92d7f613eed51714912cab10dddc4ce456262137d8fef230d44c7f4457b", 1604),
        ),
        n_instances=1702,
        n_features=1001,
        n_labels=53,
        protocols=("official", "paper"),
        reader=ReaderOptions(xml=True),
        source=f"tsoumakas/mulan@{_MULAN_COMMIT}:data/multi-label/enron/",
        citation="UC Berkeley Enron Email Analysis Project; MEKA datasets",
        license=_MULAN_LICENSE,
        notes="Extra benchmark (not in the SEAL paper).",
    ),
    DatasetSpec(
        name="weizmann_horse",
        task="segmentation",
        title="Weizmann horses 32x32: binary image segmentation (RGB uint8 images + {0,1} masks)",
        files=(
            DataFile("weizmann_horse/weizmann_horse_train.npz", "train", "c25db2667b89b6a7ce4264de740556bffcfeb8c4d5127ac3bb417076c57df22b", 478829, None, 160),
            DataFile("weizmann_horse/weizmann_horse_val.npz", "val", "243ff8661ce0e63c38487c49f9b7dabc051c52bcb0e8d52b23e7195db8cb7831", 120147, None, 40),
            DataFile("weizmann_horse/weizmann_horse_test.npz", "test", "4ad03885483020acfae9c709123bcfc0f11956c1bbeaffd49b6620dd7f5977c0", 380075, None, 128),
        ),
        n_instances=328,
        n_features=None,
        n_labels=None,
        protocols=("official",),
        loader="segmentation",
        fetcher="seal.data.weizmann:fetch_converted",
        used_in_paper=True,
        paper_split_sizes=(160, 40, 128),
        source="iesl/seal-neurips-2022@989dc07509ce6b5705293f0784461ff9d5185c00:data/weizmann_horse_seg/weizmann_horse_{train,val,test}.npy (pickled); converted to pickle-free .npz",
        citation="Borenstein & Ullman, Class-specific, top-down segmentation, ECCV 2002; 32x32 version from Li, Tarlow & Zemel, CVPR 2013",
        license="none stated; research use",
        notes="images (N,32,32,3) uint8, masks (N,32,32) uint8 in {0,1}. The .npz files are a pickle-free "
        "conversion of the upstream pickled .npy files: `seal data fetch weizmann_horse` downloads those, decodes "
        "them with a restricted unpickler (numpy array reconstruction only) and writes byte-identical .npz files, "
        "verified against the sha256 here. Loaded by load_segmentation_dataset (seal.data.weizmann), not by "
        "load_dataset.",
        obtain="copy the three .npz files from the project's shared data, or run `seal data fetch weizmann_horse` "
        "(downloads and converts the upstream .npy files)",
    ),
]

_REGISTRY: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}
_ALIASES = {"eurlexev": "eurlex_ev", "bibtex_strat": "bibtex", "weizmann_horse_seg": "weizmann_horse"}


def register_dataset(spec: DatasetSpec, *, overwrite: bool = False) -> None:
    """Add ``spec`` to the registry (for local datasets and tests).

    Raises:
        ValueError: the name exists and ``overwrite`` is false.
    """
    if spec.name in _REGISTRY and not overwrite:
        raise ValueError(f"dataset {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    _forget(spec.name)


def unregister_dataset(name: str) -> None:
    """Remove a dataset added with :func:`register_dataset` (no error if absent)."""
    _REGISTRY.pop(name, None)
    _forget(name)


def dataset_names() -> list[str]:
    """Registered names, in registry order."""
    return list(_REGISTRY)


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name`` (case-insensitive; ``-`` and ``_`` are interchangeable).

    Raises:
        UnknownDatasetError: no such dataset (the message suggests close names).
    """
    if not isinstance(name, str):
        raise UnknownDatasetError(f"dataset name must be a string, got {type(name).__name__}", name=str(name))
    if name in _REGISTRY:
        return _REGISTRY[name]
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in _REGISTRY:
        return _REGISTRY[key]
    close = difflib.get_close_matches(key, list(_REGISTRY), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}{hint} (known: {', '.join(_REGISTRY)})", name=name
    )


# --------------------------------------------------------------------------------------- locating


@dataclass
class FileStatus:
    """Result of checking one registered file: ``status`` is ``"ok"``, ``"mismatch"``, ``"missing"`` or
    ``"unchecked"`` (present, but the registry has no sha256 for it)."""

    file: DataFile
    path: Path | None
    status: str
    actual_sha256: str | None = None
    size: int | None = None


def _check_file(f: DataFile, roots: list[Path]) -> FileStatus:
    path = find_file(f.path, roots)
    if path is None:
        return FileStatus(f, None, "missing")
    size = path.stat().st_size
    if f.sha256 is None:
        return FileStatus(f, path, "unchecked", None, size)
    actual = sha256_file(path)
    return FileStatus(f, path, "ok" if actual == f.sha256 else "mismatch", actual, size)


def verify_dataset(name: str, *, data_dir: str | os.PathLike | None = None) -> list[FileStatus]:
    """SHA-256 of every registered file of ``name`` that is found locally, against the registry.

    Returns one :class:`FileStatus` per registered file (missing files included).
    """
    spec = get_spec(name)
    roots = search_dirs(data_dir)
    return [_check_file(f, roots) for f in spec.files]


_MISMATCH_HINT = (
    "the file differs from the registered version; replace it (delete it and run `seal data fetch NAME`), "
    "or pass verify=False to use it anyway"
)


def _numbered_pattern(paths: list[str]) -> str | None:
    """``a/x-fold{1..10}.arff`` when ``paths`` (more than 3) differ only by one consecutive integer."""
    if len(paths) <= 3:
        return None
    parts = [re.split(r"(\d+)", p) for p in paths]
    shape = len(parts[0])
    if any(len(p) != shape for p in parts):
        return None
    varying = [i for i in range(shape) if len({p[i] for p in parts}) > 1]
    if len(varying) != 1 or varying[0] % 2 == 0:
        return None
    i = varying[0]
    nums = [int(p[i]) for p in parts]
    if nums != list(range(nums[0], nums[0] + len(nums))):
        return None
    return "".join(parts[0][:i]) + f"{{{nums[0]}..{nums[-1]}}}" + "".join(parts[0][i + 1 :])


def _missing_message(spec: DatasetSpec, missing: list[DataFile], roots: list[Path], download: bool) -> str:
    described = []
    pattern = _numbered_pattern([f.path for f in missing]) if all(f.sha256 is None for f in missing) else None
    if pattern is not None:
        described.append(f"{pattern} (sha256 unknown)")
    else:
        for f in missing:
            digest = f"sha256 {f.sha256}" if f.sha256 else "sha256 unknown"
            described.append(f"{f.path} ({digest})")
    where = ", ".join(str(r) for r in roots)
    downloadable = all(f.url or spec.fetcher for f in missing)
    if downloadable and not download:
        how = f"run `seal data fetch {spec.name}` or call load_dataset(..., download=True)"
    else:
        how = f"put the file(s) at those relative paths under {roots[0]}"
        if spec.obtain:
            how = f"{spec.obtain}; {how}"
        if not downloadable:
            how += " (no public download URL)"
    return (
        f"dataset {spec.name!r}: {len(missing)} file(s) not found: {'; '.join(described)}. "
        f"Searched: {where}. To fix: {how}, or point data_dir / SEAL_DATA_DIR at a directory holding them."
    )


def locate_files(
    name: str,
    *,
    protocol: str | None = None,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    verify: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Path]:
    """Absolute paths of the files ``name`` needs under ``protocol`` (default: the dataset's).

    Files are searched in :func:`~seal.data.download.search_dirs` order; missing files with a URL are
    downloaded into the cache when ``download`` is true.

    Returns:
        ``{relative path: absolute path}``.

    Raises:
        UnknownDatasetError, DatasetError (bad protocol), DatasetNotFoundError (missing, not downloadable
        or ``download=False``), DownloadError / ChecksumMismatchError (a failed download, or with
        ``verify`` a local file whose digest differs from the registry).
    """
    spec = get_spec(name)
    protocol = protocol or spec.default_protocol
    if protocol is None:
        raise DatasetError(f"dataset {spec.name!r} has no split protocol")
    files = spec.files_for(protocol)
    return _locate(spec, files, data_dir=data_dir, download=download, verify=verify, progress=progress)


def _locate(
    spec: DatasetSpec,
    files: list[DataFile],
    *,
    data_dir,
    download: bool,
    verify: bool,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Path]:
    roots = search_dirs(data_dir)
    found: dict[str, Path] = {}
    missing: list[DataFile] = []
    for f in files:
        p = find_file(f.path, roots)
        if p is None:
            missing.append(f)
        else:
            found[f.path] = p
    if missing and (not download or not all(_obtainable(spec, f) for f in missing)):
        raise DatasetNotFoundError(
            _missing_message(spec, missing, roots, download),
            name=spec.name,
            missing=[f.path for f in missing],
            searched=roots,
        )
    for f in missing:
        found[f.path] = _obtain(spec, f, progress)
    if verify:
        for f in files:
            if f.sha256 is None or f in missing:  # downloads were verified while streaming
                continue
            actual = sha256_file(found[f.path])
            if actual != f.sha256:
                raise ChecksumMismatchError(
                    found[f.path], f.sha256, actual, what=f"{spec.name!r} file", hint=_MISMATCH_HINT
                )
    return found


def _obtainable(spec: DatasetSpec, f: DataFile) -> bool:
    """Whether a missing file can be produced: a pinned URL or the dataset's fetcher, and a known sha256."""
    return bool(f.sha256 and (f.url or spec.fetcher))


def _obtain(spec: DatasetSpec, f: DataFile, progress=None) -> Path:
    """Download ``f`` (direct URL) or produce it with ``spec.fetcher`` into the cache; verified by sha256."""
    dest = cache_dir() / f.path
    cb = (lambda got, total, _p=f.path: progress(_p, got, total)) if progress else None
    if f.url:
        return download_file(f.url, dest, sha256=f.sha256, size=f.size, progress=cb)
    import importlib

    module, _, func = spec.fetcher.partition(":")
    path = Path(getattr(importlib.import_module(module), func)(f, dest, cb))
    actual = sha256_file(path, memo=False)
    if actual != f.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(path, f.sha256, actual, what=f"{spec.name!r} file produced by {spec.fetcher}")
    return path


def fetch_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[tuple[DataFile, Path, str]]:
    """Make every downloadable file of ``name`` available, downloading into the cache what is missing.

    Returns:
        ``[(file, path, action)]`` with action ``"present"`` (found and verified) or ``"downloaded"``.

    Raises:
        DatasetNotFoundError: a missing file has no public URL.
        DownloadError, ChecksumMismatchError: as :func:`~seal.data.download.download_file`; also when a
            present file's digest differs from the registry.
    """
    spec = get_spec(name)
    roots = search_dirs(data_dir)
    unobtainable = [f for f in spec.files if find_file(f.path, roots) is None and not _obtainable(spec, f)]
    if unobtainable:
        raise DatasetNotFoundError(
            _missing_message(spec, unobtainable, roots, True),
            name=spec.name,
            missing=[f.path for f in unobtainable],
            searched=roots,
        )
    result = []
    for f in spec.files:
        present = find_file(f.path, roots)
        if present is not None:
            if f.sha256 is not None:
                actual = sha256_file(present)
                if actual != f.sha256:
                    raise ChecksumMismatchError(
                        present, f.sha256, actual, what=f"{spec.name!r} file", hint=_MISMATCH_HINT
                    )
            result.append((f, present, "present"))
            continue
        path = _obtain(spec, f, progress)
        result.append((f, path, "downloaded" if f.url else "converted"))
    return result


def is_available(name: str, *, protocol: str | None = None, data_dir=None) -> bool:
    """Whether every file needed for ``protocol`` (default: the dataset's) exists locally (not verified)."""
    spec = get_spec(name)
    protocol = protocol or spec.default_protocol
    roots = search_dirs(data_dir)
    files = spec.files_for(protocol) if spec.loader == "arff" else list(spec.files)
    return all(find_file(f.path, roots) is not None for f in files)


# ---------------------------------------------------------------------------------------- datasets


@dataclass(repr=False)
class MultiLabelDataset:
    """A loaded multi-label dataset: all instances pooled, with split indices.

    Attributes:
        name: registry name.
        X: ``scipy.sparse.csr_matrix`` ``(n, d)`` float32, after preprocessing (imputation/scaling fitted
            on ``splits["train"]`` only), all finite.
        Y: ``(n, L)`` uint8 in {0, 1}.
        feature_names: ``d`` names (one-hot columns are ``"attr=value"`` as the reader names them).
        label_names: ``L`` names.
        splits: ``{"train", "val", "test"}`` -> sorted int64 row indices into ``X``; disjoint, covering
            every row.
        split_protocol: ``"paper"`` or ``"official"``.
        n_empty: rows with an empty label set in the data as read (before any dropping).
        n_dropped: rows removed (``n_empty`` with ``drop_empty=True``, else 0).
        split_seed: seed of the fold assignment / validation carve.
        fold_ids: ``(n,)`` int64 fold of each row (1..10) under ``paper``; ``None`` otherwise.
        preprocessing: what was done to the features (``FeaturePreprocessor.describe()``).
        files: absolute paths of the files read.
        preprocessor: the fitted :class:`~seal.data.preprocess.FeaturePreprocessor` (statistics from the
            training split), or ``None`` when the features are used raw; ``seal predict`` applies it to
            new ARFF files.
    """

    name: str
    X: sp.csr_matrix
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    splits: dict[str, np.ndarray]
    split_protocol: str
    n_empty: int
    n_dropped: int
    split_seed: int = 0
    fold_ids: np.ndarray | None = None
    preprocessing: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    preprocessor: FeaturePreprocessor | None = None

    @property
    def n_instances(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_labels(self) -> int:
        return int(self.Y.shape[1])

    @property
    def label_cardinality(self) -> float:
        """Mean number of positive labels per row."""
        return float(self.Y.sum(axis=1, dtype=np.int64).mean()) if self.Y.shape[0] else 0.0

    @property
    def label_density(self) -> float:
        """Label cardinality divided by ``L``."""
        return self.label_cardinality / self.n_labels if self.n_labels else 0.0

    def subset(self, split: str) -> tuple[sp.csr_matrix, np.ndarray]:
        """``(X[idx], Y[idx])`` for ``split`` in ``"train"``, ``"val"``, ``"test"``: ``(m, d)`` CSR float32
        and ``(m, L)`` uint8 copies.

        Raises:
            KeyError: unknown split name.
        """
        if split not in self.splits:
            raise KeyError(f"unknown split {split!r}; available: {', '.join(self.splits)}")
        idx = self.splits[split]
        return self.X[idx], self.Y[idx]

    def summary(self) -> dict[str, Any]:
        """Counts and label statistics, overall and per split (JSON-able)."""
        per_split = {}
        for k, idx in self.splits.items():
            Ys = self.Y[idx]
            card = float(Ys.sum(axis=1, dtype=np.int64).mean()) if len(idx) else 0.0
            per_split[k] = {
                "instances": int(len(idx)),
                "label_cardinality": card,
                "empty_rows": int((Ys.sum(axis=1) == 0).sum()),
                "labels_unseen": int((Ys.sum(axis=0) == 0).sum()),
            }
        return {
            "name": self.name,
            "protocol": self.split_protocol,
            "split_seed": self.split_seed,
            "instances": self.n_instances,
            "features": self.n_features,
            "labels": self.n_labels,
            "label_cardinality": self.label_cardinality,
            "label_density": self.label_density,
            "empty_rows": self.n_empty,
            "dropped_rows": self.n_dropped,
            "feature_density": float(self.X.nnz) / max(1, self.n_instances * self.n_features),
            "preprocessing": dict(self.preprocessing),
            "splits": per_split,
        }

    def __repr__(self) -> str:
        sizes = "/".join(str(len(self.splits.get(k, ()))) for k in SPLIT_NAMES)
        return (
            f"MultiLabelDataset(name={self.name!r}, X={self.n_instances}x{self.n_features}, "
            f"L={self.n_labels}, protocol={self.split_protocol!r}, train/val/test={sizes}, "
            f"n_empty={self.n_empty}, n_dropped={self.n_dropped})"
        )


@dataclass
class _Pooled:
    X: sp.csr_matrix
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    splits: dict[str, np.ndarray]
    fold_ids: np.ndarray | None
    files: list[str]


_CACHE: OrderedDict[tuple, _Pooled] = OrderedDict()
_CACHE_MAX = 8
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget datasets parsed in this process."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _forget(name: str) -> None:
    with _CACHE_LOCK:
        for key in [k for k in _CACHE if k[0] == name]:
            del _CACHE[key]


def _read_part(path: Path, spec: DatasetSpec, xml_path: Path | None):
    from seal.data.arff import read_arff  # the reader is imported lazily: `import seal.data.registry` stays cheap

    return read_arff(path, **spec.reader.kwargs(xml_path))


def _pool(spec: DatasetSpec, protocol: str, paths: dict[str, Path], split_seed: int) -> _Pooled:
    parts = spec.parts(protocol)
    xml = spec.file("xml")
    xml_path = paths.get(xml.path) if (xml is not None and spec.reader.xml) else None
    datas = []
    for f in parts:
        data = _read_part(paths[f.path], spec, xml_path)
        n, d = data.X.shape
        if f.n_instances is not None and n != f.n_instances:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {n} instances, the registry expects {f.n_instances}"
            )
        if spec.n_features is not None and d != spec.n_features:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {d} features, the registry expects {spec.n_features}"
            )
        if spec.n_labels is not None and data.Y.shape[1] != spec.n_labels:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {data.Y.shape[1]} labels, "
                f"the registry expects {spec.n_labels}"
            )
        if datas:
            first = datas[0]
            if list(data.feature_names) != list(first.feature_names):
                raise DatasetError(f"dataset {spec.name!r}: {paths[f.path]} has different feature columns from {paths[parts[0].path]}")
            if list(data.label_names) != list(first.label_names):
                raise DatasetError(f"dataset {spec.name!r}: {paths[f.path]} has different labels from {paths[parts[0].path]}")
        datas.append(data)
    X = sp.vstack([sp.csr_matrix(dd.X, dtype=np.float32) for dd in datas], format="csr") if len(datas) > 1 else sp.csr_matrix(datas[0].X, dtype=np.float32)
    Y = np.vstack([np.asarray(dd.Y, dtype=np.uint8) for dd in datas]) if len(datas) > 1 else np.asarray(datas[0].Y, dtype=np.uint8)
    if spec.n_instances is not None and X.shape[0] != spec.n_instances:
        raise DatasetError(f"dataset {spec.name!r}: {X.shape[0]} instances read, the registry expects {spec.n_instances}")
    fold_ids = None
    if protocol == "paper":
        if spec.fold_files():
            fold_ids = np.concatenate(
                [np.full(dd.X.shape[0], int(f.role[4:]), dtype=np.int64) for f, dd in zip(parts, datas)]
            )
        else:
            fold_ids = paper_folds(Y, n_folds=10, seed=split_seed)
        splits = folds_to_splits(fold_ids)
    else:
        sizes = {f.role: dd.X.shape[0] for f, dd in zip(parts, datas)}
        splits = official_splits(sizes, Y, seed=split_seed)
    return _Pooled(
        X=X,
        Y=Y,
        feature_names=list(datas[0].feature_names),
        label_names=list(datas[0].label_names),
        splits=splits,
        fold_ids=fold_ids,
        files=[str(paths[f.path]) for f in parts] + ([str(xml_path)] if xml_path else []),
    )


def _file_key(paths: dict[str, Path]) -> tuple:
    key = []
    for rel, p in sorted(paths.items()):
        st = p.stat()
        key.append((rel, str(p.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(key)


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    protocol: str | None = None,
    split_seed: int = 0,
    drop_empty: bool = False,
    download: bool = True,
    verify: bool = True,
) -> MultiLabelDataset:
    """Load a registered multi-label dataset with its train/val/test split.

    Args:
        name: a registered name (``seal data list``); case-insensitive, ``-`` == ``_``.
        data_dir: directory holding the files (layout ``<name>/...`` as in ``shared/data``); default
            ``$SEAL_DATA_DIR``; the user cache is searched after it.
        protocol: ``"paper"`` or ``"official"`` (default: the dataset's, see the registry table).
        split_seed: seed of the iterative-stratification folds (``paper``) or of the validation carve
            (``official`` without a given validation part). Ignored when the split is fully given.
        drop_empty: remove rows with an empty label set (after the split is made).
        download: fetch missing files with a public URL into the cache.
        verify: check local files' SHA-256 against the registry (memoised per process).

    Returns:
        A :class:`MultiLabelDataset`; ``X`` is ``(n, d)`` CSR float32, ``Y`` is ``(n, L)`` uint8. Parsing
        and folds are cached per process; every call returns fresh arrays.

    Raises:
        UnknownDatasetError: unknown name.
        NotImplementedError: a registered dataset that is not multi-label (``weizmann_horse``: use
            :func:`load_segmentation_dataset`).
        DatasetNotFoundError: files missing and not downloadable (``eurlex_ev``) or ``download=False``.
        DatasetError: unsupported protocol; counts differing from the registry; non-finite features.
        DownloadError, ChecksumMismatchError: a failed download or a local file with the wrong digest.
        seal.data.arff.ArffError: a malformed file (names file, line and attribute).
    """
    spec = get_spec(name)
    if spec.loader != "arff":
        raise NotImplementedError(
            f"dataset {spec.name!r} is a {spec.task} dataset; load_dataset only loads multi-label ARFF "
            f"datasets. Its files are registered (see `seal data info {spec.name}`); load it with "
            f"seal.data.registry.load_segmentation_dataset({spec.name!r}) (the {spec.task} loader)."
        )
    protocol = protocol or spec.default_protocol
    spec.check_protocol(protocol)
    split_seed = int(split_seed)
    paths = _locate(spec, spec.files_for(protocol), data_dir=data_dir, download=download, verify=verify)

    key = (spec.name, protocol, split_seed, spec.reader, _file_key(paths))
    with _CACHE_LOCK:
        pooled = _CACHE.get(key)
        if pooled is not None:
            _CACHE.move_to_end(key)
    if pooled is None:
        pooled = _pool(spec, protocol, paths, split_seed)
        with _CACHE_LOCK:
            _CACHE[key] = pooled
            while len(_CACHE) > _CACHE_MAX:
                _CACHE.popitem(last=False)

    X, Y, splits, fold_ids = pooled.X, pooled.Y, pooled.splits, pooled.fold_ids
    empty = Y.sum(axis=1) == 0
    n_empty = int(empty.sum())
    n_dropped = 0
    if drop_empty and n_empty:
        keep = ~empty
        new_index = np.cumsum(keep) - 1
        splits = {k: new_index[v[keep[v]]].astype(np.int64) for k, v in splits.items()}
        X, Y = X[keep], Y[keep]
        fold_ids = fold_ids[keep] if fold_ids is not None else None
        n_dropped = n_empty
    else:
        X, Y = X.copy(), Y.copy()
        splits = {k: v.copy() for k, v in splits.items()}
        fold_ids = fold_ids.copy() if fold_ids is not None else None
    for k in SPLIT_NAMES:
        if len(splits[k]) == 0:
            raise DatasetError(f"dataset {spec.name!r}: the {k!r} split is empty under protocol {protocol!r}")

    pre = FeaturePreprocessor(**dict(spec.preprocess))
    try:
        if not pre.is_identity:
            pre.fit(X[splits["train"]])
            X = pre.transform(X)
        else:
            X = sp.csr_matrix(X, dtype=np.float32)
            bad = ~np.isfinite(X.data)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                row = int(np.searchsorted(X.indptr, k, side="right") - 1)
                raise NonFiniteFeatureError(
                    f"{int(bad.sum())} non-finite feature value(s)", row=row, column=int(X.indices[k]), count=int(bad.sum())
                )
    except NonFiniteFeatureError as e:
        fname = pooled.feature_names[e.column] if e.column < len(pooled.feature_names) else str(e.column)
        raise DatasetError(
            f"dataset {spec.name!r}: {e.count} non-finite feature value(s), first at row {e.row}, feature "
            f"{fname!r}; the registry's preprocessing {dict(spec.preprocess) or 'none'} does not handle them"
        ) from None

    return MultiLabelDataset(
        name=spec.name,
        X=X,
        Y=Y,
        feature_names=list(pooled.feature_names),
        label_names=list(pooled.label_names),
        splits=splits,
        split_protocol=protocol,
        n_empty=n_empty,
        n_dropped=n_dropped,
        split_seed=split_seed,
        fold_ids=fold_ids,
        preprocessing=pre.describe() if not pre.is_identity else {"impute": None, "scale": None},
        files=list(pooled.files),
        preprocessor=None if pre.is_identity else pre,
    )


def load_segmentation_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    verify: bool = True,
):
    """Load a registered segmentation dataset (``weizmann_horse``) with its given train/val/test split.

    Files are located like :func:`load_dataset`'s (``data_dir`` or ``$SEAL_DATA_DIR``, then the user cache),
    verified against the registry's sha256 and read without pickle (:func:`seal.data.weizmann.read_npz`).
    Missing files are produced by the dataset's fetcher (download of the upstream ``.npy`` + safe conversion)
    when ``download`` is true.

    Returns:
        :class:`seal.data.weizmann.SegmentationDataset` whose ``splits`` map ``train``/``val``/``test`` to
        ``images`` uint8 ``(N, 32, 32, 3)`` and ``masks`` uint8 ``(N, 32, 32)``.

    Raises:
        UnknownDatasetError, DatasetNotFoundError, ChecksumMismatchError, DownloadError;
        DatasetError: ``name`` is not a segmentation dataset, or a split's size differs from the registry;
        seal.data.weizmann.WeizmannDataError: bad arrays (names the file and the array).
    """
    from seal.data.weizmann import SegmentationDataset, read_npz

    spec = get_spec(name)
    if spec.loader != "segmentation":
        raise DatasetError(f"dataset {spec.name!r} is a {spec.task} dataset; use load_dataset")
    paths = _locate(spec, list(spec.files), data_dir=data_dir, download=download, verify=verify)
    splits = {}
    for f in spec.files:
        split = read_npz(paths[f.path])
        if f.n_instances is not None and len(split) != f.n_instances:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} holds {len(split)} images, the registry expects {f.n_instances}"
            )
        splits[f.role] = split
    return SegmentationDataset(spec.name, splits, [str(paths[f.path]) for f in spec.files], spec.default_protocol or "official")
