"""Stable p20_ids: the same people linked again keep their ids; new people get fresh opaque ids."""

from __future__ import annotations

import pandas as pd

from p20_platform.linkage.index import IdIssuer, assign_p20_ids


def _clusters(mapping: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": list(mapping), "cluster_id": list(mapping.values())}, dtype="string")


def _ids(assigned: pd.DataFrame) -> dict[str, str]:
    return dict(zip(assigned["record_id"], assigned["p20_id"], strict=True))


def test_first_build_issues_one_opaque_id_per_cluster():
    assigned, issuer = assign_p20_ids(_clusters({"a": "1", "b": "1", "c": "2"}), None, IdIssuer("salt"))
    ids = _ids(assigned)
    assert ids["a"] == ids["b"] != ids["c"]
    assert all(v.startswith("P") and len(v) == 11 for v in ids.values())
    assert issuer.issued == 2


def test_rebuild_keeps_ids_when_cluster_labels_change_and_records_are_replaced():
    first, issuer = assign_p20_ids(_clusters({"a": "1", "b": "1", "c": "2"}), None, IdIssuer("salt"))
    # cluster labels differ, record b replaced by a new delivery's record b2, new person d
    second, issuer = assign_p20_ids(_clusters({"a": "x", "b2": "x", "c": "y", "d": "z"}), first, issuer)
    before, after = _ids(first), _ids(second)
    assert after["a"] == after["b2"] == before["a"]
    assert after["c"] == before["c"]
    assert after["d"] not in set(before.values())


def test_split_cluster_old_id_goes_to_the_larger_part_and_merge_keeps_the_majority():
    first, issuer = assign_p20_ids(_clusters({"a": "1", "b": "1", "c": "1", "d": "2"}), None, IdIssuer("salt"))
    before = _ids(first)
    split, _ = assign_p20_ids(_clusters({"a": "1", "b": "1", "c": "3", "d": "2"}), first, issuer)
    after = _ids(split)
    assert after["a"] == before["a"] and after["c"] not in set(before.values()) and after["d"] == before["d"]
    merged, _ = assign_p20_ids(_clusters({"a": "m", "b": "m", "c": "m", "d": "m"}), first, issuer)
    assert set(_ids(merged).values()) == {before["a"]}


def test_fresh_ids_depend_on_the_secret_salt_and_never_repeat_a_taken_id():
    one, _ = IdIssuer("salt-1").issue(3, taken=set())
    other, _ = IdIssuer("salt-2").issue(3, taken=set())
    assert one != other
    again, issuer = IdIssuer("salt-1").issue(3, taken={one[0]})
    assert one[0] not in again and again[:2] == one[1:] and issuer.issued == 4
