"""fruitstand: build open LLM training corpora from raw public text.

The Python API uses the CLI's names: `fruitstand.run(...)` is `fruitstand run`,
`fruitstand.read(...)` reads any supported input, `fruitstand.Recipe` is a recipe file,
`fruitstand.tokenize(...)` is `fruitstand tokenize`.
"""

from fruitstand.document import Document
from fruitstand.execute.local import run
from fruitstand.io.readers import read
from fruitstand.recipe import Recipe
from fruitstand.registry import RecipeError
from fruitstand.tokens.run import tokenize

__version__ = "0.1.0"
__all__ = ["Document", "Recipe", "RecipeError", "read", "run", "tokenize", "__version__"]
