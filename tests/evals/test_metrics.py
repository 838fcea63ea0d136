from ladder.evals import bootstrap_ci, field_equal, percentile, score


def test_field_comparators():
    assert field_equal("Starbucks", " starbucks ", "casefold")
    assert field_equal("ＩＫＥＡ", "ikea", "casefold")  # full-width folds too
    assert field_equal(None, None, "casefold") and not field_equal(None, "x", "casefold")
    assert field_equal(180, 180.0, "number") and not field_equal(180, 18, "number")
    assert not field_equal("Starbucks", "starbucks")


def test_score_marks_invalid_output_as_all_wrong():
    s = score({"a": 1}, None, ["a"], {})
    assert s == {"fields": {"a": False}, "exact": False, "valid": False}
    s = score({"a": 1, "b": "X"}, {"a": 1, "b": "x"}, ["a", "b"], {"b": "casefold"})
    assert s["exact"] and s["valid"]


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    lo, hi = bootstrap_ci(values, seed=3)
    assert (lo, hi) == bootstrap_ci(values, seed=3)
    assert lo < 0.3 < hi and 0.15 < lo and hi < 0.45
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)


def test_percentile():
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 95) == 5
