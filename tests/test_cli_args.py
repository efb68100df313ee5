"""The shared argument checks of ``tdxlab.cli.args``: values through, mistakes as one-line errors."""

from __future__ import annotations

import pytest

from tdxlab.cli import UsageError
from tdxlab.cli.args import comma_list, float_list, int_at_least, int_list, one_of, positive_int


def _error(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(UsageError) as exc:
        call(*args, **kwargs)  # type: ignore[operator]
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_one_of() -> None:
    assert one_of("--format", "csv", ("text", "csv", "json")) == "csv"
    assert _error(one_of, "--format", "xml", ("text", "csv", "json")) == (
        "--format: 'xml' is not one of text, csv, json")
    assert _error(one_of, "--format", "CSV", ("text", "csv")) == "--format: 'CSV' is not one of text, csv"
    assert one_of("--platform", "SNP", ("tdx", "snp"), fold_case=True) == "snp"
    assert _error(one_of, "--platform", "ARM", ("tdx", "snp"), fold_case=True) == (
        "--platform: 'ARM' is not one of tdx, snp")


def test_integers() -> None:
    assert positive_int("--vps", "4") == 4
    assert positive_int("--vps", "0x10") == 16
    assert int_at_least("--seed", "0", 0) == 0
    assert _error(positive_int, "--vps", "0") == "--vps: 0 must be >= 1"
    assert _error(positive_int, "--vps", "two") == "--vps: 'two' is not an integer"
    assert _error(int_at_least, "--search", "-1", 0) == "--search: -1 must be >= 0"
    assert _error(positive_int, "--vps", "1.5") == "--vps: '1.5' is not an integer"


def test_comma_lists() -> None:
    assert comma_list("--designs", "bank, split") == ["bank", "split"]
    assert comma_list("--add-private", "", allow_empty=True) == []
    assert comma_list("--add-private", " ", allow_empty=True) == []
    assert _error(comma_list, "--designs", "") == "--designs: expected a comma-separated list, got ''"
    assert _error(comma_list, "--designs", "bank,,split") == (
        "--designs: expected a comma-separated list, got 'bank,,split'")
    assert _error(comma_list, "--add-private", "cr2,", allow_empty=True) == (
        "--add-private: expected a comma-separated list, got 'cr2,'")


def test_number_lists() -> None:
    assert int_list("--vps", "1,16,0x100") == [1, 16, 256]
    assert _error(int_list, "--vps", "1,0") == "--vps: 0 must be >= 1"
    assert int_list("--host-vps", "0,2", low=0) == [0, 2]
    assert float_list("--switch-fraction", "0, 0.5,1", 0.0, 1.0) == [0.0, 0.5, 1.0]
    assert _error(float_list, "--switch-fraction", "1.5", 0.0, 1.0) == (
        "--switch-fraction: 1.5 is outside 0..1")
    assert _error(float_list, "--entries-per-s", "-1", 0.0) == "--entries-per-s: -1 is outside >= 0"
    assert _error(float_list, "--entries-per-s", "nan", 0.0) == "--entries-per-s: nan is outside >= 0"
    assert _error(float_list, "--entries-per-s", "fast", 0.0) == "--entries-per-s: 'fast' is not a number"
