"""The taste test: which corpus trains the better small model (`fruitstand taste`). Needs `fruitstand[taste]`.

`fruitstand.taste.taste([A, B], evals=[...], output=DIR)` is `fruitstand taste A B --eval ... --output DIR`;
`fruitstand.taste.calibrate(A, B, ...)` is `fruitstand taste --calibrate A --junk B`. PyTorch loads only
when a model trains.
"""

from fruitstand.taste.run import calibrate, taste

__all__ = ["calibrate", "taste"]
