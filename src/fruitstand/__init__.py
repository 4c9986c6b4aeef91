"""fruitstand: build open LLM training corpora from raw public text.

The Python API uses the CLI's names: `fruitstand.run(...)` is `fruitstand run`,
`fruitstand.read(...)` reads any supported input, `fruitstand.report(DIR)` is `fruitstand report DIR`,
`fruitstand.tokenize(DIR)` is `fruitstand tokenize DIR`, `fruitstand.Recipe` is a recipe file.
"""

import os as _os

# pyarrow and rensa each embed mimalloc, which by default keeps freed pages for a while and, in a
# worker that reads and writes Parquet task after task, held 35-50 MB more resident than it used
# (benchmarks/results/dedup.md). Given back at once instead; set before either library loads, and
# only where the user has not chosen.
_os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

from fruitstand.document import Document
from fruitstand.execute.local import run
from fruitstand.execute.outcome import NoDocumentsError
from fruitstand.io.readers import read
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError
from fruitstand.report import report

__version__ = "0.1.0"
__all__ = ["Document", "NoDocumentsError", "Recipe", "RecipeError", "read", "report", "run", "tokenize", "__version__"]


def __getattr__(name: str):
    # `tokenize` (tokens/run.py, with NumPy and the BPE) loads on first use: neither `fruitstand run`'s
    # parent nor its workers need it, and every process imports this package.
    if name == "tokenize":
        from fruitstand.tokens.run import tokenize

        return tokenize
    raise AttributeError(f"module 'fruitstand' has no attribute {name!r}")
