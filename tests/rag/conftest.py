import shutil
from pathlib import Path

import pytest

DEMO = Path(__file__).parents[2] / "examples" / "rag-demo"


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory):
    """The bundled demo corpus ingested once (real e5-small embedder, real SQLite file)."""
    from ladder.rag import ingest, open_index

    path = tmp_path_factory.mktemp("rag") / "demo.db"
    ingest([DEMO / "docs"], path)
    idx = open_index(path)
    yield idx
    idx.close()


@pytest.fixture
def corpus(tmp_path):
    """A private copy of the demo docs that a test may change."""
    dst = tmp_path / "docs"
    shutil.copytree(DEMO / "docs", dst)
    return dst
