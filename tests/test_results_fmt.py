"""How key figures are formatted for people (results.fmt)."""

from __future__ import annotations

import pytest

from cnai_helpers.results import fmt


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.121, "−12.1 pp"), (0.034, "+3.4 pp"), (0.0, "0.0 pp"), (None, "n/a")],
)
def test_share_change_in_percentage_points(value, expected):
    assert fmt(value, "share", "pp") == expected


def test_share_without_unit_is_a_percentage():
    assert fmt(-0.121, "share") == "-12.1%"
