"""The one progress bar: silent when disabled; plain lines when piped (lines=True)."""

from ladder.progress import Progress


def test_disabled_bar_prints_nothing(capsys):
    with Progress("teacher labelling", 3, enabled=False) as bar:
        bar.advance(postfix="kept 1")
        bar.update(3, postfix="kept 3", label="other", total=4)
        bar.note("a note")
    assert capsys.readouterr().out == ""


def test_piped_bar_prints_a_line_per_update_with_label_count_postfix_and_eta(capsys):
    with Progress("train", 4, lines=True, completed=1) as bar:  # resumed at step 1
        bar.update(2, postfix="epoch 1 loss 0.5000")
        bar.note("epoch 1: dev loss 0.4000")
        bar.advance(postfix="epoch 1 loss 0.2500")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("train 2/4 epoch 1 loss 0.5000 ETA ")
    assert lines[1] == "epoch 1: dev loss 0.4000"
    assert lines[2].startswith("train 3/4 epoch 1 loss 0.2500 ETA ")
    assert "3/4" in lines[-1] and "━" in lines[-1]  # rich's final state of the bar


def test_without_lines_a_piped_bar_shows_only_its_final_state(capsys):
    with Progress("eval zero-shot", 2) as bar:
        bar.advance(postfix="exact 1/1")
        bar.advance(postfix="exact 1/2")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "eval zero-shot" in out[0] and "2/2" in out[0] and "exact 1/2" in out[0]


def test_a_bar_can_start_without_a_total_and_learn_it_and_its_label_later(capsys):
    with Progress("ingesting", None, lines=True) as bar:  # before the files are counted
        bar.update(0, label="notes.md", total=3)
        bar.update(2, label="manual.pdf")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("notes.md 0/3") and lines[1].startswith("manual.pdf 2/3")
