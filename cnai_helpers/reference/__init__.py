"""Reference data in one place: GB/T 2260 geography and the keyword taxonomies, as CSV/YAML
files beside this module, read once (cached) by the functions below.

- ``provinces.csv``: the 34 province-level divisions (code, names, generative-AI prefix);
- ``geography.yaml``: municipalities, administrative suffixes, the non-province codes
  (central SOEs, unknown) and the divisions outside the registry's mainland;
- ``org_types.yaml``: organisation-type keyword rules (analysis/classify.py);
- ``sectors.yaml``: vertical-sector keywords, in priority order (analysis/classify.py);
- ``sector_signals.yaml``: the other sector signals: English model-name patterns of the
  verticals, general-purpose (cross-sector) signals, horizontal functions, generic domains
  (analysis/classify.py);
- ``use_cases.yaml``: use-case keywords (analysis/geo.py);
- ``labels.yaml``: name parts written for people in table headers, registry names and
  category values for people (display.py, the explorer);
- ``seaborn_theme.yaml``: seaborn's figure theme written out (plotting.py, seaborn_theme);
- ``glossary.yaml``: the front page's glossary, terms and definitions (reports/page.py).

Kept free of pandas (and of yaml until a YAML file is read): the registry's freshness check
hashes ``GEOGRAPHY_FILES`` on every loader call.
"""

from __future__ import annotations

import csv
import importlib.resources as ir
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

# the files the core tables are built from (registry/fingerprint.py hashes them)
GEOGRAPHY_FILES = ("provinces.csv", "geography.yaml")


def path(name: str) -> Traversable:
    """A reference file shipped with the package (found in an installed package too)."""
    return ir.files(__name__) / name


def load_yaml(text: str) -> Any:
    """A YAML document read with a safe loader: libyaml's parser where PyYAML has it (the same
    document, ~10x faster than the pure-Python one; read for every report's fingerprint and
    page, the manifest and tables.yaml on every registry command)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


@cache
def _yaml(name: str) -> dict[str, Any]:
    return load_yaml(path(name).read_text(encoding="utf-8"))


@cache
def province_rows() -> tuple[dict[str, str], ...]:
    """provinces.csv as rows of text (province_code, name_zh, short_zh, name_en, genai_prefix)."""
    with path("provinces.csv").open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def seaborn_theme() -> dict[str, Any]:
    return _yaml("seaborn_theme.yaml")


def glossary() -> list[dict[str, str]]:
    """The front page's glossary: [{term, definition}] in order (glossary.yaml)."""
    return _yaml("glossary.yaml")


def geography() -> dict[str, Any]:
    return _yaml("geography.yaml")


def org_type_rules() -> dict[str, Any]:
    return _yaml("org_types.yaml")


def _keywords(name: str) -> dict[str, tuple[str, ...]]:
    return {k: tuple(str(w) for w in v) for k, v in _yaml(name).items()}


@cache
def sector_keywords() -> dict[str, tuple[str, ...]]:
    """Sector -> keywords, in priority order (the first match wins)."""
    return _keywords("sectors.yaml")


def sector_signals() -> dict[str, Any]:
    """The sector signals besides the vertical keywords (sector_signals.yaml), as read."""
    return _yaml("sector_signals.yaml")


@cache
def use_case_keywords() -> dict[str, tuple[str, ...]]:
    """Use case -> keywords (a filing can match several)."""
    return _keywords("use_cases.yaml")


@cache
def acronyms() -> dict[str, str]:
    """Name parts written for people in table headers (labels.yaml): mfu -> MFU."""
    return {str(k): str(v) for k, v in _yaml("labels.yaml")["acronyms"].items()}


@cache
def value_labels() -> dict[str, str]:
    """Category values written for people (labels.yaml ``values``): cross_sector ->
    Cross-sector, 服务提供者 -> Service provider (服务提供者)."""
    return {str(k): str(v) for k, v in (_yaml("labels.yaml").get("values") or {}).items()}


def value_label(value: str) -> str:
    """A category value's label for people (:func:`value_labels`); the value when unknown."""
    return value_labels().get(value, value)


def registry_label(key: str) -> str:
    """A registry's name for people (labels.yaml ``registries``); the key when unknown."""
    return str(_yaml("labels.yaml").get("registries", {}).get(key, key))


def sector_label(key: str) -> str:
    """A sector's name for people (labels.yaml ``values``, the one label map of every table and
    chart): media_entertainment -> Media & entertainment; the key with spaces when unknown."""
    return value_labels().get(key, str(key).replace("_", " "))
