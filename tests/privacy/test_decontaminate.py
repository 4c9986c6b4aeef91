"""decontaminate: real eval items (llm-foundry's and decon's files in ../shared/data) planted whole
and lightly edited into real BBC News articles, decon's labelled fixtures, masking, Chinese."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from fruitstand.document import Document
from fruitstand.privacy.decontaminate import Decontaminate, Index, words
from fruitstand.registry import RecipeError, make_step
from tests.filters.realtext import DATA, chinese_article, english_article
from tests.privacy.steps import run_step

EVALS = DATA / "evals"
DECON = DATA / "decon"
# Files of different shapes: query + choices (ARC, PIQA, OpenBookQA), context and question in one
# query (SIQA), a passage field (PubMedQA), code (HumanEval), question + worked answer (GSM8K, decon's rows).
SHAPES = {"arc_easy.jsonl": "query", "piqa.jsonl": "choices", "openbook_qa.jsonl": "query",
          "pubmed_qa_labeled.jsonl": "context", "human_eval.jsonl": "prompt", "siqa.jsonl": "query"}


@pytest.fixture(scope="module")
def step(tmp_path_factory) -> Decontaminate:
    cache = tmp_path_factory.mktemp("cache")
    s = Decontaminate(evals=[str(EVALS / name) for name in SHAPES] + [str(DECON / "bundled-evals" / "gsm8k_test-1.jsonl.gz")])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        s.setup()
    return s


def _items(path: Path, field: str, n: int, min_words: int = 30) -> list[tuple[int, str]]:
    """(line, text) of the first n items whose `field` (a string, or the longest string of a list) is long enough."""
    out = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            v = json.loads(line)[field]
            text = max(v, key=len) if isinstance(v, list) else v
            if len(text.split()) >= min_words:
                out.append((line_no, text))
            if len(out) == n:
                break
    return out


def _edit(text: str) -> str:
    """A light paraphrase: other case, other punctuation, one word in 20 replaced, numbers changed."""
    ws = text.split()
    ws = [("however" if i % 20 == 10 else w) for i, w in enumerate(ws)]
    out = " ".join(ws).upper().replace(",", " ;").replace(".", "!")
    return re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), out)


def _plant(article: str, snippet: str) -> str:
    paragraphs = article.split("\n\n")
    mid = len(paragraphs) // 2
    return "\n\n".join(paragraphs[:mid] + [snippet] + paragraphs[mid:])


def _planted_cases() -> list[tuple[str, int, str]]:
    cases = [(name, line, text) for name, field in SHAPES.items() for line, text in _items(EVALS / name, field, 3)]
    cases += [("gsm8k_test-1", line, text) for line, text in _items(DECON / "bundled-evals" / "gsm8k_test-1.jsonl.gz", "question", 3)]
    return cases


def test_planted_items_whole_and_edited_are_caught_and_clean_articles_kept(step):
    cases = _planted_cases()
    assert len(cases) == 21
    docs = []
    for k, (_, _, text) in enumerate(cases):
        docs.append(Document(f"whole-{k}", _plant(english_article(10 + k), text)))
        docs.append(Document(f"edited-{k}", _plant(english_article(40 + k), _edit(text))))
    clean = [Document(f"clean-{i}", english_article(i)) for i in range(100, 400)]
    kept, stats = run_step(step, docs + clean)
    assert [d.id for d in kept] == [d.id for d in clean]
    assert stats.dropped == Counter(contaminated=len(docs))
    # the most hit items (20 per task): each planted item was hit twice, whole and edited
    expected = {f"item:{name.removesuffix('.jsonl')}:{line}" for name, line, _ in cases}
    recorded = {k: v for k, v in stats.extra.items() if k.startswith("item:")}
    assert len(recorded) == 20 and set(recorded) <= expected and set(recorded.values()) == {2}
    assert sum(v for k, v in stats.extra.items() if k.startswith("hits:")) == len(docs)


def test_mask_cuts_the_match_and_200_characters_and_keeps_the_rest(step):
    mask = Decontaminate(evals=step.evals, mode="mask")
    mask.__dict__["_index"] = step.index
    article = english_article(7)
    name, line, item = _planted_cases()[0]
    paragraphs = article.split("\n\n")
    head, tail = "\n\n".join(paragraphs[:3]), "\n\n".join(paragraphs[3:])
    text = f"{head}\n\n{item}\n\n{tail}"
    [out], stats = run_step(mask, [Document("a", text)])
    words_span = re.search(r"\w(?:.*\w)?", item, re.S).span()  # from the item's first word to its last
    start, end = len(head) + 2 + words_span[0], len(head) + 2 + words_span[1]
    assert out.text == f"{text[: start - 200]}\n{text[end + 200:]}"
    assert stats.extra["masked_documents"] == 1 and stats.extra["cuts"] == 1
    # more than 10 separate cuts drop the page (GPT-3's rule)
    many = "\n\n".join(f"{english_article(200 + i)[:600]}\n\n{t}" for i, (_, _, t) in enumerate(_planted_cases()[:11]))
    out, stats = run_step(mask, [Document("b", many)])
    assert out == []
    assert stats.dropped == Counter(contaminated_too_many_cuts=1) and stats.extra["cuts"] == 11


def test_decon_fixtures(tmp_path, monkeypatch):
    """decon's own cases: clean stays clean, every contaminated one matches reference line 1, the
    multiple one at least two items; its demo matches MMLU dev and GSM8K train."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def lines(name):
        return [json.loads(x)["text"] for x in (DECON / "fixtures" / "training" / f"{name}.jsonl").read_text().splitlines()]

    for ref in ("question_reference", "question_answer_reference", "passage_question_answer_reference"):
        s = Decontaminate(evals=[str(DECON / "fixtures" / "reference" / f"{ref}.jsonl")])
        assert all(s.matches(t) == [] for t in lines("clean"))
        for case in ("contaminated_at_end", "contaminated_middle_position", "contaminated_single_insertion",
                     "long_document", "contaminated_multiple_in_one"):
            found = {s.index.names[item] for _, _, item in s.matches(lines(case)[0])}
            assert (ref, 1) in found, (ref, case)
            if case == "contaminated_multiple_in_one":
                assert len(found) >= 2
    s = Decontaminate(evals=[str(DECON / "bundled-evals" / f) for f in ("mmlu_dev-1.jsonl.gz", "gsm8k_train-1.jsonl.gz")])
    demo = lines("demo")
    assert {s.index.names[i][0] for _, _, i in s.matches(demo[0])} == {"mmlu_dev-1"}
    assert {s.index.names[i][0] for _, _, i in s.matches(demo[1])} == {"gsm8k_train-1"}


@pytest.mark.parametrize("code", ["zh", "ja", "th"])
def test_scripts_without_spaces_count_characters(tmp_path, code):
    lines = (DATA / "lang" / f"{code}.txt").read_text(encoding="utf-8").splitlines()
    sentences = [x for x in lines if len(x) >= 60][:5]
    evals = tmp_path / f"{code}.txt"
    evals.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    s = Decontaminate(evals=[str(evals)])
    s.__dict__["_index"] = Index.build(s.evals, 13, 8, 10, 26)
    article = chinese_article() if code == "zh" else "".join(lines[200:260])
    assert s.matches(article) == []
    planted = article[:300] + sentences[2][4:] + article[300:]  # a part of the item, glued to its neighbours
    assert {s.index.names[i] for _, _, i in s.matches(planted)} == {(code, 3)}
    if code == "zh":
        assert len(words(article)) > 0.8 * len(re.sub(r"\s", "", article))  # a word per character


def test_boilerplate_ngrams_and_numbers_are_ignored(tmp_path):
    stem = "Read the passage below carefully and then answer the question that follows it"
    rows = [{"query": f"{stem}: {english_article(i).split(chr(10))[2]}"} for i in range(12)]
    rows.append({"query": "Total: 16 - 3 - 4 = 9 and 9 * 2 = 18 and 18 + 1 = 19 and 4 + 4 = 8"})
    evals = tmp_path / "set.jsonl"
    evals.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = Decontaminate(evals=[str(evals)], boilerplate_items=10)
    s.__dict__["_index"] = Index.build(s.evals, 13, 8, 10)
    assert s.index.boilerplate > 0
    assert s.matches(f"Intro. {stem}. And more text follows here.") == []
    assert s.matches("Totals 16 - 3 - 4 = 9 and 9 * 2 = 18 and 18 + 1 = 19 and 4 + 4 = 8") == []
    assert {s.index.names[i] for _, _, i in s.matches(english_article(5))} == {("set", 6)}


def test_eval_file_formats(tmp_path):
    item = english_article(3).split("\n")[2]
    (tmp_path / "a.json").write_text(json.dumps([{"x": {"deep": [item]}}]))
    (tmp_path / "b.txt").write_text("\nshort line\n" + item + "\n")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt") as f:
        f.write(json.dumps({"context_options": ["no", item]}) + "\n")
    for name, where in (("a.json", ("a", 1)), ("b.txt", ("b", 3)), ("c.jsonl.gz", ("c", 1))):
        s = Decontaminate(evals=[str(tmp_path / name)])
        s.__dict__["_index"] = Index.build(s.evals, 13, 8, 10)
        assert {s.index.names[i] for _, _, i in s.matches(english_article(3))} == {where}


def test_no_evals_is_a_noop_with_a_note_and_bad_parameters_fail_early():
    docs = [Document("a", english_article(0))]
    out, stats = run_step(Decontaminate(), docs)
    assert out == docs
    assert stats.extra == Counter(passed_no_evals_configured=1)
    with pytest.raises(RecipeError, match="mode"):
        make_step({"kind": "decontaminate", "mode": "cut"})
    with pytest.raises(RecipeError, match="not found"):
        make_step({"kind": "decontaminate", "evals": ["/nonexistent/evals.jsonl"]})
    with pytest.raises(RecipeError, match="built in: gsm8k_test, human_eval, mmlu_test"):
        make_step({"kind": "decontaminate", "evals": ["builtin:nope"]})


@pytest.mark.slow
def test_builtin_sets_catch_their_items_in_a_run(tmp_path, monkeypatch):
    """The default recipe's sets, in a run with two workers (each loads the cached index)."""
    import fruitstand

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with gzip.open(Path(fruitstand.__file__).parent / "privacy" / "evals" / "mmlu_test.jsonl.gz", "rt") as f:
        mmlu = [json.loads(x) for x in f][:400]
    q = next(r for r in mmlu if len(r["question"].split()) >= 20)
    src = tmp_path / "in.jsonl"
    texts = [english_article(i) for i in range(60)] + [_plant(english_article(61), q["question"])]
    src.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    recipe = tmp_path / "r.toml"
    recipe.write_text('[[step]]\nkind = "decontaminate"\nevals = ["builtin:mmlu_test", "builtin:gsm8k_test", "builtin:human_eval"]\n')
    Decontaminate(evals=["builtin:mmlu_test", "builtin:gsm8k_test", "builtin:human_eval"]).setup()  # fills the cache
    manifest = fruitstand.run(str(recipe), inputs=[str(src)], output=str(tmp_path / "out"), workers=2, split_mb=0.05)
    step = manifest["steps"][0]
    assert step["out"] == 60 and step["dropped"] == {"contaminated": 1}
    assert step["extra"]["hits:mmlu_test"] == 1


@pytest.mark.parametrize("code", ["th", "zh", "ja", "hi", "ur", "ru", "ko"])
def test_mask_offsets_line_up_with_the_words_in_every_script(code):
    from fruitstand.privacy.decontaminate import _word_bounds

    text = (DATA / "lang" / f"{code}.txt").read_text(encoding="utf-8")[:5000]
    ws, bounds = words(text), _word_bounds(text)
    assert len(ws) == len(bounds) and all(words(text[s:e]) == [w] for w, (s, e) in zip(ws, bounds))
