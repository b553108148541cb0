"""Who-files enrichment of the core tables: organisation type and sector of every filing and
filer, with where each value comes from, so an analyst can query them without a notebook.

Precedence, per data/definitions.md:

- ``org_type``: a hand label of the filer (data/evaluation_labels/, adjudicated where the two
  coders disagree; any of its sampled filings, the label with high confidence first, then
  sample order) > the override table (data/curated/entity_overrides.csv) > the frozen name
  rules. A label of ``unknown`` is no label. ``org_type_rule`` names what decided it.
- ``is_state_linked``: the org type is state-linked (majority state control, the codebook's);
  ``is_state_linked_broad`` also counts a filer whose hand label says it has any state
  shareholder or runs a platform for a government body (the broad definition).
- ``sector``: a hand label of the filing > the rules (name, product, purpose text); an
  ``unknown`` label leaves the rules' call. ``is_cross_sector_broad`` also counts the labelled
  (or, without a label, the rules') horizontal-function flag. ``sector_rule`` names the rule
  that fired (or the hand label).

The rules and labels come from cnai_helpers/enrich/ (below this layer); nothing here imports
the analysis layer.

The values are the rules' calls, not shares adjusted for the rules' errors: the who-files
reports give those (cnai_helpers/analysis/evaluation.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..enrich import labels as hand
from ..enrich import rules as classify

ENRICH_COLUMNS = (
    "org_type",
    "org_type_source",
    "org_type_rule",
    "is_state_linked",
    "is_state_linked_broad",
    "sector",
    "sector_source",
    "sector_rule",
    "is_cross_sector",
    "is_cross_sector_broad",
)
SOURCE_RANK = {"label": 0, "override": 1, "rule": 2}


def hand_labels(data_dir: Path | None = None) -> pd.DataFrame:
    """The evaluation labels joined to the sample, adjudicated where the coders disagree;
    empty when the project has none (a project without an evaluation sample). Labels that
    break the codebook raise EvaluationError."""
    data = Path(data_dir or paths.DATA)
    sample = data / "evaluation_sample_unlabelled.csv"
    labels_dir = data / "evaluation_labels"
    if not sample.exists() or not list(labels_dir.glob("batch_*.csv")):
        cols = [*hand.INPUT_COLUMNS, *hand.LABEL_COLUMNS, "second_coded", "state_linked_broad"]
        return pd.DataFrame(columns=cols, dtype=object)
    return hand.adjudicated_labels(labels_dir, sample)


def cached_hand_labels(cache, data_dir: Path | None = None) -> pd.DataFrame:
    """:func:`hand_labels`, kept in the parse cache (registry/parse_cache.py ``cache``) under a
    checksum of the files it reads (the sample and every file under evaluation_labels/) and of
    the classifier's code: read, checked and adjudicated again only when one of them changed."""
    import hashlib

    data = Path(data_dir or paths.DATA)
    h = hashlib.sha256(classifier_version().encode())
    labels_dir = data / "evaluation_labels"
    files = [data / "evaluation_sample_unlabelled.csv"]
    files += sorted(labels_dir.rglob("*")) if labels_dir.is_dir() else []
    for f in files:
        if f.is_file():
            h.update(f"{f.relative_to(data).as_posix()}|".encode() + f.read_bytes())
    name = "hand labels:" + h.hexdigest()
    labels = cache.get_named(name)
    if not isinstance(labels, pd.DataFrame):
        labels = hand_labels(data)
        cache.put_named(name, labels)
    return labels


def overrides(data_dir: Path | None = None) -> dict:
    path = Path(data_dir or paths.DATA) / "curated" / "entity_overrides.csv"
    return classify.load_overrides(path) if path.exists() else {}


def _entity_labels(labels: pd.DataFrame, filings: pd.DataFrame) -> pd.DataFrame:
    """entity_key -> labelled org type, broad label and sample id (high confidence first, then
    sample order)."""
    lab = labels[labels["org_type"].isin(classify.ORG_TYPES)]
    keyed = lab.merge(
        filings[["registry", "filing_number", "entity_key"]], on=["registry", "filing_number"]
    )
    keyed = keyed.assign(_low=keyed["org_type_confidence"] != "high")
    keyed = keyed.sort_values(["_low", "sample_id"], kind="stable")
    if "state_linked_broad" not in keyed:
        keyed["state_linked_broad"] = ""
    cols = ["org_type", "state_linked_broad", "sample_id"]
    return keyed.drop_duplicates("entity_key").set_index("entity_key")[cols]


def enrich_filings(
    filings: pd.DataFrame,
    labels: pd.DataFrame,
    override_table: dict,
    memo: dict | None = None,
    registry: pd.DataFrame | None = None,
    entity_labels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``filings`` with the ENRICH_COLUMNS appended. ``memo``: the rules' calls kept across
    builds (:func:`classifier_memo`). ``registry``: every filing, when ``filings`` is a part of
    them (a filer's hand label is found through any of its filings). ``entity_labels``:
    ``_entity_labels(labels, registry)``, if already made."""
    memo = memo if memo is not None else {}
    f = filings.copy()
    loc = f.get("locality_zh")
    orgs = classify.classify_orgs(
        f["entity_name"], loc, override_table, memo=memo.setdefault("orgs", {})
    )
    org = orgs["org_type"]
    org_src = orgs["org_type_source"].map({"rules": "rule", "override": "override"})
    org_rule = orgs["org_type_rule"]
    ent = entity_labels
    if ent is None:
        ent = _entity_labels(labels, f if registry is None else registry)
    by_entity = f["entity_key"].map(ent["org_type"])
    has = by_entity.notna()
    org, org_src = org.where(~has, by_entity), org_src.where(~has, "label")
    org_rule = org_rule.where(
        # as objects first: with no filing labelled the map is all-NaN float64, which pandas 4
        # will not fill with a string
        ~has,
        "hand label: "
        + f["entity_key"].map(ent["sample_id"]).astype(object).fillna("").astype(str),
    )
    state = org.isin(classify.STATE_LINKED)
    broad = state | (f["entity_key"].map(ent["state_linked_broad"]).astype(object) == "yes")

    sec = classify.classify_sectors_detail(f, memo=memo.setdefault("sectors", {}))
    sector, horizontal = sec["sector"], sec["horizontal_function"]
    sec_rule = sec["sector_rule"]
    sec_src = pd.Series("rule", index=f.index)
    lab = labels[labels["sector"] != "unknown"][
        ["registry", "filing_number", "sector", "horizontal_function", "sample_id"]
    ]
    hit = f[["registry", "filing_number"]].merge(lab, on=["registry", "filing_number"], how="left")
    hit.index = f.index
    got = hit["sector"].notna()
    sector = sector.where(~got, hit["sector"])
    horizontal = horizontal.where(~got, hit["horizontal_function"] == "yes")
    sec_src = sec_src.where(~got, "label")
    sec_rule = sec_rule.where(
        ~got, "hand label: " + hit["sample_id"].astype(object).fillna("").astype(str)
    )
    cross = sector == "cross_sector"
    f["org_type"] = org.astype(str)
    f["org_type_source"] = org_src.astype(str)
    f["org_type_rule"] = org_rule.astype(str)
    f["is_state_linked"] = state.astype(bool)
    f["is_state_linked_broad"] = broad.astype(bool)
    f["sector"] = sector.astype(str)
    f["sector_source"] = sec_src
    f["sector_rule"] = sec_rule.astype(str)
    f["is_cross_sector"] = cross.astype(bool)
    f["is_cross_sector_broad"] = (cross | horizontal.astype(bool)).astype(bool)
    base = [x for x in f.columns if x not in ENRICH_COLUMNS]
    return f[[*base, *ENRICH_COLUMNS]]


# what the enrichment of one filing reads of it (besides its filer's hand label)
FILING_INPUTS = (
    "registry",
    "filing_number",
    "entity_key",
    "entity_name",
    "locality_zh",
    *classify.SECTOR_TEXT_COLUMNS,
)


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Per row of two aligned frames: does any column differ (two missing values are equal)?
    Column by column: one column of Python objects at a time, not the whole frame's."""
    out = pd.Series(False, index=a.index)
    for ca, cb in zip(a.columns, b.columns, strict=True):
        x, y = a[ca], b[cb]
        if not (x.dtype == y.dtype and isinstance(x.dtype, pd.StringDtype)):
            x, y = x.astype(object), y.astype(object)  # two text columns: compared as they are
        out |= (x != y) & ~(x.isna() & y.isna())
    return out


def appended_enrichment(
    filings: pd.DataFrame,
    before: pd.DataFrame,
    labels: pd.DataFrame,
    override_table: dict,
    memo: dict | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """``filings`` (a registry that got new rows) with the ENRICH_COLUMNS, the same as
    :func:`enrich_filings` gives, taking them from ``before`` (the enriched filings of the
    previous build, same classifier, labels and overrides: the tables' fingerprint says so) for
    every filing whose inputs did not change; and, per filing, whether it was enriched again.
    What a filing's enrichment reads is its own FILING_INPUTS and its filer's hand label, found
    through the labelled filings of the filer: a filing is enriched again if it is new, if one
    of its inputs changed, or if its filer's label (any of the three fields
    :func:`_entity_labels` gives) changed."""
    keys = ["registry", "filing_key"]
    inputs = [c for c in FILING_INPUTS if c in filings and c in before and c not in keys]
    old = filings[keys].merge(
        before[[*keys, *inputs, *ENRICH_COLUMNS]], on=keys, how="left", indicator=True
    )
    old.index = filings.index
    ent_old, ent_new = _entity_labels(labels, before), _entity_labels(labels, filings)
    both = ent_new.merge(
        ent_old, how="outer", left_index=True, right_index=True, suffixes=("", "_old")
    )
    cols = list(ent_new.columns)
    relabelled = both.index[
        _differs(both[cols], both[[f"{c}_old" for c in cols]].set_axis(cols, axis=1))
    ]
    todo = (
        (old["_merge"] != "both")
        | _differs(filings[inputs], old[inputs])
        | filings["entity_key"].isin(relabelled)
    )
    f = filings.copy(deep=False)  # copy-on-write (pandas 3): the new columns are f's alone
    fresh = pd.DataFrame(index=f.index[:0], columns=list(ENRICH_COLUMNS))
    if todo.any():
        fresh = enrich_filings(
            filings[todo], labels, override_table, memo, registry=filings, entity_labels=ent_new
        )
    for c in ENRICH_COLUMNS:
        new = fresh[c].reindex(f.index)
        if c.startswith("is_"):
            f[c] = old[c].astype(object).where(~todo, new.astype(object)).astype(bool)
        elif old[c].dtype == new.dtype == "str":  # the text kept as it is (no Python objects)
            f[c] = old[c].where(~todo, new)
        else:
            f[c] = old[c].astype(object).where(~todo, new.astype(object)).astype(str)
    return f, todo


def enrich_entities(entities: pd.DataFrame, filings: pd.DataFrame) -> pd.DataFrame:
    """``entities`` with the ENRICH_COLUMNS derived from the enriched ``filings``."""
    g = filings.groupby("entity_key")
    # the filer's type: from its best source (label > override > rule), the most frequent value
    rank = filings["org_type_source"].map(SOURCE_RANK)
    c = filings.assign(_rank=rank).groupby(["entity_key", "_rank", "org_type", "org_type_source"])
    c = c.size().rename("n").reset_index()
    c = c.sort_values(["entity_key", "_rank", "n", "org_type"], ascending=[True, True, False, True])
    org = c.drop_duplicates("entity_key").set_index("entity_key")
    counts = filings.groupby(["entity_key", "sector"]).size().rename("n").reset_index()
    counts = counts.sort_values(["entity_key", "n", "sector"], ascending=[True, False, True])
    mode = counts.drop_duplicates("entity_key").set_index("entity_key")["sector"]
    e = entities.copy()
    key = e["entity_key"]
    e["org_type"] = key.map(org["org_type"])
    e["org_type_source"] = key.map(org["org_type_source"])
    e["sector"] = key.map(mode)
    e["sector_source"] = "filings"
    chosen = org[["org_type", "org_type_source"]].reset_index()
    match = filings.merge(chosen, on=["entity_key", "org_type", "org_type_source"])
    e["org_type_rule"] = key.map(
        match.drop_duplicates("entity_key").set_index("entity_key")["org_type_rule"]
    )
    e["is_state_linked"] = e["org_type"].isin(classify.STATE_LINKED)
    e["is_state_linked_broad"] = key.map(g["is_state_linked_broad"].max()).astype(bool)
    e["sector_rule"] = "filings"
    e["is_cross_sector"] = key.map(g["is_cross_sector"].mean() > 0.5).astype(bool)
    e["is_cross_sector_broad"] = key.map(g["is_cross_sector_broad"].mean() > 0.5).astype(bool)
    base = [x for x in e.columns if x not in ENRICH_COLUMNS]
    return e[[*base, *ENRICH_COLUMNS]]


def classifier_version() -> str:
    """What the rules' calls depend on: the classifier's code and reference files (those the
    tables' fingerprint hashes), the name of the parse cache's entry of :func:`enrich_filings`'
    memo of the rules' calls."""
    import hashlib

    from .fingerprint import CLASSIFIER_FILES

    h = hashlib.sha256()
    for f in CLASSIFIER_FILES:
        h.update(f.read_bytes())
    return "classifier calls:" + h.hexdigest()


def enrich_tables(
    tables: dict[str, pd.DataFrame],
    data_dir: Path | None = None,
    memo: dict | None = None,
    labels: pd.DataFrame | None = None,
) -> None:
    """Add the enrichment columns to ``tables['filings']`` and ``tables['entities']``.
    ``memo``: the rules' calls by their texts, kept across builds (filled here). ``labels``:
    :func:`hand_labels` if already read."""
    labels = hand_labels(data_dir) if labels is None else labels
    f = enrich_filings(tables["filings"], labels, overrides(data_dir), memo)
    tables["filings"] = f
    tables["entities"] = enrich_entities(tables["entities"], f)
