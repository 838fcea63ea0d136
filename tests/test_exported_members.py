import ladder


def test_all_exports_exist_and_are_documented():
    for name in ladder.__all__:
        assert hasattr(ladder, name), name
    public = {n for n in dir(ladder) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(ladder.__all__), public - set(ladder.__all__)
