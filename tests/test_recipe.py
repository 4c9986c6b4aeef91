"""A recipe never carries credentials: they come from the environment and the storage libraries' config files."""

from __future__ import annotations

import subprocess
import sys

import pytest

import fruitstand
from fruitstand.recipe import _SECRET_KEY, Recipe
from fruitstand.registry import kinds, parameters


@pytest.mark.parametrize("text", [
    'aws_secret_access_key = "SECRET-VALUE-1"\n[[step]]\nkind = "extract"\n',
    '[[step]]\nkind = "extract"\ntoken = "SECRET-VALUE-1"\n',
    '[[step]]\nkind = "extract"\n[step.storage]\nhf_token = "SECRET-VALUE-1"\n',
    '[[step]]\nkind = "langid"\n[[step]]\nkind = "extract"\npassword = "SECRET-VALUE-1"\n',
])
def test_a_recipe_holding_a_credential_is_refused_in_one_line(tmp_path, shared, text):
    recipe = tmp_path / "r.toml"
    recipe.write_text(text)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "fruitstand", "run", str(recipe), "--input",
                        str(shared / "warc" / "whirlwind.warc.gz"), "--output", str(out), "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    err = [line for line in r.stderr.splitlines() if line.startswith("fruitstand: error:")]
    assert len(err) == 1 and "holds a credential" in err[0] and "environment" in err[0], r.stderr
    assert "SECRET-VALUE-1" not in r.stderr + r.stdout  # the key is named, its value never shown
    assert not out.exists()  # refused before any work
    with pytest.raises(fruitstand.RecipeError, match="holds a credential"):
        Recipe.from_toml(recipe)


def test_the_python_api_refuses_it_too(tmp_path):
    with pytest.raises(fruitstand.RecipeError, match=r"table 2 holds a credential \('api_key'\)"):
        fruitstand.run([{"kind": "extract"}, {"kind": "langid", "api_key": "x"}], inputs=[], output=tmp_path / "o")


def test_no_parameter_of_any_step_looks_like_a_credential():
    names = [name for kind in kinds() for name, _, _ in parameters(kind)]
    assert "tokenizer" in names and "tokens" in names
    assert [n for n in names if _SECRET_KEY.search(n)] == []
    Recipe.default().validate()
