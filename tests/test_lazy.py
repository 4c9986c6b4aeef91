"""lazy.module: imported on the first name read; the driver plans a dedup recipe without NumPy."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from fruitstand import lazy


def test_imported_on_first_use_then_read_directly():
    name = "colorsys"  # a standard module nothing in the test run imports
    sys.modules.pop(name, None)
    mod = lazy.module(name)
    assert name not in sys.modules
    assert mod.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert name in sys.modules
    assert "rgb_to_hsv" in vars(mod)  # the next read is a plain attribute, not __getattr__


def test_dunder_reads_do_not_import():
    mod = lazy.module("wave")
    sys.modules.pop("wave", None)
    assert not hasattr(mod, "__wrapped__")
    assert "wave" not in sys.modules


def test_driver_builds_a_dedup_recipe_without_numpy(tmp_path):
    """The driver imports every step's module to check the recipe: the dedup steps' must not pull in NumPy
    (about 20 MiB in the driver of a dedup-only run; benchmarks/RESULTS.md, issue 21)."""
    code = textwrap.dedent(f"""
        import sys
        from fruitstand.execute.plan import make_plan
        from fruitstand.recipe import Recipe
        recipe = Recipe.from_dict({{"step": [{{"kind": "exact_dedup"}}, {{"kind": "line_dedup"}},
                                              {{"kind": "minhash_dedup"}}]}})
        make_plan(recipe, inputs=[{str(tmp_path / 'in.jsonl')!r}], output={str(tmp_path / 'out')!r})
        print(sorted(m for m in ("numpy", "pyarrow") if m in sys.modules))
    """)
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "one document"}\n')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]"]


def test_dunders_of_a_loaded_module_are_its_own():
    import json

    assert lazy.module("json").__file__ == json.__file__
