"""A search killed mid-run resumes without scoring again what it had scored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ladder.errors import ConfigError
from ladder.models import ScriptedModel
from ladder.optimize import artifact_dir, optimize

from shout_task import KEYWORD, keyword_model, proposer_model, write_task


class Killed(BaseException):
    """Stands for SIGKILL inside the process: nothing catches it, nothing is cleaned up."""


def test_resume_after_a_kill_keeps_the_candidates_scored(shout_task):
    dev = shout_task.split("dev")
    calls = []

    def dies_on_the_20th(messages):
        calls.append(messages)
        if len(calls) == 20:
            raise Killed()
        return keyword_model().responses(messages)

    with pytest.raises(Killed):
        optimize(shout_task, ScriptedModel(dies_on_the_20th, name="keyword-model"), dev, proposer=proposer_model(),
                 budget=40, name="shout-r", progress=False)
    folder = artifact_dir("shout-r")
    scored = [json.loads(line) for line in (folder / "evals.jsonl").read_text().splitlines()]
    assert len(scored) == 19  # every finished item was written as it finished
    from ladder.optimize import load_artifact

    killed = load_artifact("shout-r")  # the best so far, and what it cost, survive the kill
    assert not killed.complete and killed.dev_score is not None and killed.provenance["metric_calls"] >= 6
    with pytest.raises(ConfigError, match="--resume"):
        optimize(shout_task, keyword_model(), dev, proposer=proposer_model(), budget=40, name="shout-r",
                 progress=False)

    again = []
    art = optimize(shout_task, keyword_model(again), dev, proposer=proposer_model(), budget=40, name="shout-r",
                   resume=True, progress=False)
    assert art.dev_score == 1.0 and KEYWORD in art.instructions and art.complete
    # nothing scored before the kill was run again
    redone = {(r["candidate"], r["item"]) for r in scored}
    rows = [json.loads(line) for line in (folder / "evals.jsonl").read_text().splitlines()]
    assert len(rows) == len({(r["candidate"], r["item"]) for r in rows})  # each (candidate, item) once
    assert not redone & {(r["candidate"], r["item"]) for r in rows[len(scored):]}
    assert len(again) == len(rows) - len(scored)


def test_resume_with_other_settings_is_refused(shout_task):
    dev = shout_task.split("dev")
    optimize(shout_task, keyword_model(), dev, proposer=proposer_model(), budget=20, name="shout-s", progress=False)
    with pytest.raises(ConfigError, match="dev_items differ"):
        optimize(shout_task, keyword_model(), dev[:3], proposer=proposer_model(), budget=40, name="shout-s",
                 resume=True, progress=False)


SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from shout_task import keyword_model, proposer_model
from ladder.models import ScriptedModel
from ladder.optimize import optimize
from ladder.tasks import load_task

task = load_task({task!r})
inner = keyword_model()
def slow(messages):
    time.sleep(0.05)
    return inner.responses(messages)
optimize(task, ScriptedModel(slow, name="keyword-model"), task.split("dev"), proposer=proposer_model(),
         budget=60, name="shout-k9", resume=True, progress=False)
"""


def test_sigkill_in_a_subprocess_then_resume(tmp_path, ladder_home):
    task_file = write_task(tmp_path / "shout9")
    code = SCRIPT.format(tests=str(Path(__file__).parent), task=str(task_file))
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "LADDER_HOME": str(ladder_home)})
    evals = ladder_home / "optimized" / "shout-k9" / "evals.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and (not evals.is_file() or len(evals.read_text().splitlines()) < 8):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(evals.read_text().splitlines())
    assert before >= 8
    from ladder.tasks import load_task

    task = load_task(task_file)
    again = []
    art = optimize(task, keyword_model(again), task.split("dev"), proposer=proposer_model(), budget=60,
                   name="shout-k9", resume=True, progress=False)
    assert art.dev_score == 1.0
    rows = [json.loads(line) for line in evals.read_text().splitlines() if line.strip()]
    keys = [(r["candidate"], r["item"]) for r in rows]
    assert len(keys) == len(set(keys))  # nothing scored twice
    assert len(again) <= len(rows) - before + 1  # at most the line torn by the kill is redone
