"""The hashed n-gram quality model: features, training, held-out AUC on real text in several languages."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
import pytest
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from fruitstand.classify.features import FeatureConfig, hashed_features
from fruitstand.classify.model import LinearModel, auc, train
from fruitstand.extract.extract import Extract
from fruitstand.filters.lang.identify import Identifier
from fruitstand.io.readers import read


def test_a_text_hashes_alike_wherever_it_sits_in_a_batch(shared):
    texts = (shared / "lang" / "zh.txt").read_text(encoding="utf-8").splitlines()[:40]
    texts += (shared / "lang" / "ur.txt").read_text(encoding="utf-8").splitlines()[:40]
    cfg = FeatureConfig()
    b_all, d_all = hashed_features(texts, cfg)
    for i in (0, 17, 45, len(texts) - 1):
        alone, _ = hashed_features([texts[i]], cfg)
        assert np.array_equal(np.sort(alone), np.sort(b_all[d_all == i]))
    assert np.all((0 <= b_all) & (b_all < 1 << cfg.bits))


def test_scripts_without_spaces_get_character_features(shared):
    zh = (shared / "lang" / "zh.txt").read_text(encoding="utf-8").splitlines()[0]
    b, _ = hashed_features([zh], FeatureConfig())
    # one byte n-gram per character of each long run, besides the run's word features
    assert len(b) > len(zh) // 2
    b_en, _ = hashed_features(["the cat sat on the mat"], FeatureConfig())
    assert len(b_en) == 6 + 5  # words and bigrams only: no run is long enough for n-grams


def test_empty_and_odd_texts_score(tmp_path):
    m = LinearModel(np.linspace(-1, 1, 1 << 20).astype(np.float32), 0.0)
    s = m.predict(["", " \n\t", "\x00\ud800 lone surrogate", "a" * 100_000])
    assert s.shape == (4,) and np.all((0 <= s) & (s <= 1))
    assert s[0] == s[1] == 0.5  # no features: the bias alone
    m.save(tmp_path / "m.npz")
    m2 = LinearModel.load(tmp_path / "m.npz")
    assert np.allclose(m2.weights, m.weights, atol=float(np.abs(m.weights).max()) / 127)


def _pages(shared):
    """Main text and boilerplate (the page's other lines) of real multilingual article pages."""
    extract = Extract()
    extract.setup()
    identify = Identifier()
    for doc in read(shared / "warc" / "trafilatura-pages.warc.gz"):
        html = doc.html
        out = extract.apply(doc)
        if out is None or isinstance(out, tuple):
            continue
        main = out.text
        tree = HTMLTree.parse_from_bytes(html, "utf-8")
        full = extract_plain_text(tree, main_content=False)
        main_lines = {ln.strip() for ln in main.splitlines()}
        rest = "\n".join(ln for ln in full.splitlines() if ln.strip() and ln.strip() not in main_lines)
        if len(main) > 500 and len(rest) > 300:
            lang = identify.identify(main).language
            yield doc.metadata.get("url", doc.id), lang, main, rest


@pytest.mark.slow
def test_held_out_auc_on_real_pages_in_several_languages(shared):
    """Learn article text against boilerplate; pages are held out whole (both their texts)."""
    texts, labels, langs, test = [], [], [], []
    for url, lang, main, rest in _pages(shared):
        held = int(hashlib.sha256(url.encode()).hexdigest(), 16) % 2 == 0
        for text, label in ((main, 1), (rest, 0)):
            texts.append(text)
            labels.append(label)
            langs.append(lang)
            test.append(held)
    labels, test = np.array(labels), np.array(test)
    tr = np.flatnonzero(~test)
    model = train([texts[i] for i in tr], labels[tr])
    te = np.flatnonzero(test)
    scores = model.predict([texts[i] for i in te])
    assert auc(scores, labels[te]) > 0.95
    by_lang = defaultdict(list)
    for k, i in enumerate(te):
        by_lang[langs[i]].append(k)
    checked = 0
    for lang, ks in by_lang.items():
        if len(ks) >= 10 and 0 < labels[te][ks].sum() < len(ks):
            assert auc(scores[ks], labels[te][ks]) > 0.9, lang
            checked += 1
    assert checked >= 3  # German, English, Spanish, ... each held out


def test_training_is_deterministic(shared):
    lines = (shared / "lang" / "en.txt").read_text(encoding="utf-8").splitlines()
    good = [" ".join(lines[i:i + 5]) for i in range(0, 200, 5)]
    bad = [" ".join(w for w in line.split()[::-1]) + " click here buy now" for line in lines[200:240]]
    texts, y = good + bad, np.array([1] * len(good) + [0] * len(bad))
    a, b = train(texts, y), train(texts, y)
    assert np.array_equal(a.weights, b.weights) and a.bias == b.bias
    assert auc(a.predict(texts), y) > 0.99
