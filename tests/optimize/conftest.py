import pytest
from shout_task import write_task


@pytest.fixture
def shout_task(tmp_path):
    from ladder.tasks import load_task

    return load_task(write_task(tmp_path / "shout"))
