"""RAG: ingest documents into one SQLite file, hybrid search, answers with citations.

    read.py      file -> Document (text + heading sections): txt, md, html, pdf
    chunk.py     Document -> Chunks (structure-aware, CJK sentences, token-bounded)
    embed.py     Embedders (e5-small default, minilm, sentence-transformers dir, GGUF)
    fulltext.py  FTS5 terms that work for CJK (jieba + bigrams, or trigram)
    vectors.py   VectorStore interface; SqliteVecStore (sqlite-vec) in the same file
    index.py     Index: files, chunks, FTS5 and vectors in one SQLite file
    ingest.py    incremental, one transaction per file
    search.py    full-text, vector, hybrid (reciprocal rank fusion); relevance threshold
    answer.py    ask: numbered sources, a structured {answer, citations} (default) or
                 streamed [n] answer, "not found"; the default model, by measurement
    eval.py      recall@k, MRR, answer hit rate, LLM-judge faithfulness
    rung.py      RagContext: retrieved context as a rung ("rag-4", "+rag-4")
"""

from .answer import NOT_FOUND, Answer, Source, ask
from .chunk import Chunk, chunk_document
from .embed import Embedder, get_embedder
from .eval import eval_answers, eval_retrieval, load_qa
from .index import Index, index_path, open_index
from .ingest import IngestReport, ingest
from .search import Hit, Results, search
from .vectors import SqliteVecStore, VectorStore

__all__ = ["NOT_FOUND", "Answer", "Source", "ask", "Chunk", "chunk_document", "Embedder", "get_embedder",
           "eval_answers", "eval_retrieval", "load_qa", "Index", "index_path", "open_index",
           "IngestReport", "ingest", "Hit", "Results", "search", "SqliteVecStore", "VectorStore"]
