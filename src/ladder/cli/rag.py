"""`ladder rag ...`: a thin layer over ingest, search, ask and eval."""

from __future__ import annotations

import json

import click

INDEX_HELP = "Index name (stored in <data dir>/indexes/NAME.db) or a path ending in .db."
# The defaults live in ladder.rag.answer (DEFAULT_ANSWER_MODEL, STRUCTURED, with the rule that chose
# them; numbers in bench/RESULTS.md, "RAG answer model"). They are read when a command runs, so `ladder --help`
# imports no ladder.rag; the help text names them, and a test checks it names the same ones.
MODEL_HELP = ("Answer model [default: qwen2.5-coder-1.5b: the best answer hit rate within the "
              "latency budget, measured by bench/bench_rag_models.py; -m smollm2 is 10x smaller and "
              "far less accurate].")
STRUCTURED_HELP = ('Answer as JSON {"answer", "citations"} under a grammar, or as free text with [n] '
                   "citations [default: structured, by the same measurement].")


def _default_model() -> str:
    from ..rag.answer import DEFAULT_ANSWER_MODEL

    return DEFAULT_ANSWER_MODEL


def _default_structured() -> bool:
    from ..rag.answer import STRUCTURED

    return STRUCTURED


@click.group()
def rag():
    """Retrieval-augmented generation over your own documents (one SQLite file per index).

    \b
    Examples:
      ladder rag ingest examples/rag-demo/docs --index demo
      ladder rag search "熊猫吃多少竹子" --index demo
      ladder rag ask "When is the lantern parade?" --index demo
      ladder rag eval --index demo --data examples/rag-demo/qa.jsonl
    """


@rag.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--index", "index", default="default", show_default=True, help=INDEX_HELP)
@click.option("--embedder", default=None, help="e5-small (default), minilm, st:<dir>, or a .gguf file.")
@click.option("--fts", "fts_tokenizer", type=click.Choice(["jieba", "trigram"]), default=None,
              help="Full-text tokenization for a new index (default jieba).")
@click.option("--max-tokens", default=160, show_default=True, help="Chunk size bound.")
@click.option("--overlap", default=32, show_default=True, help="Token overlap between chunks.")
def ingest(paths, index, embedder, fts_tokenizer, max_tokens, overlap):
    """Add or update files (.txt .md .html .pdf, folders recursively); only changed
    files are re-indexed and deleted ones removed.

    \b
    Examples:
      ladder rag ingest notes/ manual.pdf --index notes
      ladder rag ingest docs/ --index docs.db --embedder minilm
    """
    from rich.progress import Progress

    from ..rag.ingest import ingest as run

    with Progress(transient=True) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(path, n, total):
            bar.update(task, completed=n - 1, total=total, description=path.rsplit("/", 1)[-1][:40])

        report = run(list(paths), index, embedder=embedder, fts_tokenizer=fts_tokenizer,
                     max_tokens=max_tokens, overlap=overlap, progress=progress)
    for path, why in report.skipped:
        click.secho(f"skipped {path}: {why}", fg="yellow", err=True)
    click.echo(f"{report.index}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
               f"{len(report.skipped)} skipped; {report.chunks} chunks in {report.seconds:.1f} s "
               f"({report.chunks_per_s:.0f} chunks/s)")


@rag.command()
@click.argument("query")
@click.option("--index", default="default", show_default=True, help=INDEX_HELP)
@click.option("-k", default=5, show_default=True)
@click.option("--mode", type=click.Choice(["hybrid", "fulltext", "vector"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def search(query, index, k, mode, as_json):
    """Show the best chunks for a query.

    \b
    Examples:
      ladder rag search "tyre pressure" --index demo --mode fulltext
    """
    from ..rag.index import open_index
    from ..rag.search import search as run

    with open_index(index) as idx:
        res = run(idx, query, k=k, mode=mode)
    if as_json:
        click.echo(json.dumps([h.__dict__ for h in res.hits], ensure_ascii=False, indent=2))
        return
    for n, h in enumerate(res.hits, 1):
        click.echo(f"[{n}] {h.path}:{h.start}-{h.end} {h.heading} (score {h.score:.3f}, sim {h.similarity:.3f})")
        click.echo("    " + " ".join(h.text.split())[:200])
    if not res.relevant:
        click.secho("(nothing above the relevance threshold)", fg="yellow")


@rag.command()
@click.argument("question")
@click.option("--index", default="default", show_default=True, help=INDEX_HELP)
@click.option("-m", "--model", "model_name", default=_default_model, help=MODEL_HELP)
@click.option("-k", default=4, show_default=True, help="Sources given to the model.")
@click.option("--max-tokens", default=200, show_default=True)
@click.option("--structured/--free-text", default=_default_structured, help=STRUCTURED_HELP)
def ask(question, index, model_name, k, max_tokens, structured):
    """Answer from the documents, with its [n] citations listed after (JSON with a citations
    field under a grammar by default; --free-text streams sentence by sentence).

    \b
    Examples:
      ladder rag ask "How much bamboo does a panda eat?" --index demo
      ladder rag ask "古琴有几根弦？" --index demo -m smollm2 --free-text
    """
    from ..models import get_model
    from ..rag.answer import ask as run
    from ..rag.index import open_index

    with open_index(index) as idx:
        model = get_model(model_name)
        a = run(question, idx, model, k=k, max_tokens=max_tokens, structured=structured,
                on_text=lambda t: click.echo(t, nl=False))
    click.echo()
    for s in a.citations:
        click.echo(f"[{s.n}] {s.path}:{s.start}-{s.end}" + (f" ({s.heading})" if s.heading else "")
                   + (" · attributed by overlap" if s.n in a.attributed else ""))


@rag.command(name="eval")
@click.option("--index", default="default", show_default=True, help=INDEX_HELP)
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False), help="QA JSONL file.")
@click.option("-k", default=5, show_default=True, help="k of recall@k.")
@click.option("--answers/--no-answers", default=False, help="Also answer each question (slow) and judge.")
@click.option("-m", "--model", "model_name", default=_default_model, help=MODEL_HELP)
@click.option("--structured/--free-text", default=_default_structured, help=STRUCTURED_HELP)
@click.option("--judge", "judge_name", default=None, help="Judge model (default: the answer model).")
def eval_(index, data, k, answers, model_name, structured, judge_name):
    """Retrieval table (full-text vs vector vs hybrid: recall@k, MRR); with --answers,
    answer hit rate, citation rate and LLM-judge faithfulness.

    \b
    Examples:
      ladder rag eval --index demo --data examples/rag-demo/qa.jsonl
      ladder rag eval --index demo --data examples/rag-demo/qa.jsonl --answers
    """
    from rich.console import Console
    from rich.table import Table

    from ..rag.eval import eval_answers, eval_retrieval, load_qa
    from ..rag.index import open_index

    qa = load_qa(data)
    with open_index(index) as idx:
        table = Table("mode", f"recall@{k}", "MRR", title=f"{idx.path.name}: {len(qa)} questions, "
                      f"embedder {idx.embedder_name}, full-text {idx.fts_tokenizer}")
        for s in eval_retrieval(idx, qa, k=k):
            table.add_row(s.mode, f"{s.recall:.3f}", f"{s.mrr:.3f}")
        Console().print(table)
        if answers:
            from ..models import get_model

            model = get_model(model_name)
            a = eval_answers(idx, qa, model, get_model(judge_name) if judge_name else None,
                             structured=structured)
            click.echo(f"answers: hit rate {a.hit_rate:.3f}, cited {a.cited_rate:.3f} (by the model "
                       f"{a.model_cited_rate:.3f}), cites the right source {a.cited_correct:.3f}, "
                       f"faithfulness {a.faithfulness:.3f} (n={a.n})")


COMMANDS = (rag,)
