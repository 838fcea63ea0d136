"""One progress bar for every long loop: training steps, teacher labels, eval items, ingest.

    with Progress("teacher labelling", total=len(todo), enabled=show) as bar:
        for rec in results:
            bar.advance(postfix=f"kept {kept}")      # one item done
    bar.update(step, postfix="epoch 1 loss 0.4132")  # or: set the position
    bar.note("epoch 1: dev loss 0.4012")             # a line printed above the bar

It shows ``label  ━━━━━━  done/total  postfix  elapsed  ETA``. ``enabled=False`` makes every
method a no-op (tests, library callers that want silence). On a terminal rich draws
the bar live; when stdout is not a terminal (``make demo | tee``, nohup) rich draws only
the final state, and with ``lines=True`` each update also prints one plain line
(``train 12/64 epoch 1 loss 0.4132 ETA 3m05s``), so a piped log still shows progress.
``total=None`` is an indeterminate bar (a pulsing one, e.g. before a file count is known).
"""

from __future__ import annotations


class Progress:
    def __init__(self, label: str, total: int | None, *, enabled: bool = True, completed: int = 0,
                 lines: bool = False):
        self.label, self.total, self.lines = label, total, lines
        self._bar = None
        if not enabled:
            return
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[postfix]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn())
        self._task = self._bar.add_task(label, total=total, completed=completed, postfix="")
        self._bar.start()

    def update(self, completed: int | None = None, *, advance: int = 0, postfix: str | None = None,
               label: str | None = None, total: int | None = None) -> None:
        """Set the position (``completed``) or move it (``advance``); change the postfix
        text, the label or the total."""
        if self._bar is None:
            return
        fields = {"postfix": postfix} if postfix is not None else {}
        if label is not None:
            self.label = label
        if total is not None:
            self.total = total
        self._bar.update(self._task, completed=completed, advance=advance or None, description=label,
                         total=total, **fields)
        if self.lines and not self._bar.console.is_terminal:
            t = self._bar.tasks[0]
            eta = _duration(t.time_remaining) if t.time_remaining is not None else "?"
            done = f"{t.completed:.0f}/{t.total:.0f}" if t.total is not None else f"{t.completed:.0f}"
            self._bar.console.print(f"{self.label} {done} {t.fields['postfix']} ETA {eta}".replace("  ", " "))

    def advance(self, n: int = 1, postfix: str | None = None) -> None:
        """``n`` more items done."""
        self.update(advance=n, postfix=postfix)

    def note(self, text: str) -> None:
        """Print one line above the bar (an epoch's dev loss, a warning)."""
        if self._bar is not None:
            self._bar.console.print(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
