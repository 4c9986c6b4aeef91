"""Language codes: the models' labels mapped to ISO 639-3, as FineWeb-2 writes them.

The two identifiers behind `langid` (CLD2 and py3langid) answer in ISO 639-1 (plus a few
639-3 and legacy labels: CLD2's `iw`, `jw`, `zh-Hant`, `sr-ME`). fruitstand's `language`
metadata follows FineWeb-2's dataset names (`configs/<code>_<Script>.yml` in
huggingface/fineweb-2), which come from GlotLID: the individual language where a
macrolanguage has one dominant member on the web (Arabic `arb`, Chinese `cmn`, Malay
`zsm`, Estonian `ekk`, Latvian `lvs`, Albanian `als`, Swahili `swh`, Norwegian Bokmål
`nob`, Azerbaijani `azj`, Mongolian `khk`, Uzbek `uzn`, Nepali `npi`, Pashto `pbt`,
Malagasy `plt`, Oromo `gaz`, Guarani `gug`, Quechua `quy`, Yiddish `ydd`, Aymara `ayr`,
Inuktitut `ike`), the macrolanguage where FineWeb-2 keeps it (Persian `fas`), `fil` for
Tagalog/Filipino. Codes FineWeb-2 lacks follow plain ISO 639-3 (`aka`, `hmn`, `cnr`, ...).

Users may name languages by those codes, by the macrolanguage (`zho`, `ara`, `msa`, ...),
or with a script (`urd_Arab`, `srp_Latn`): `parse_language` turns any of these into
`(code, script or None)`.
"""

from __future__ import annotations

# Model label -> ISO 639-3 code (FineWeb-2 convention). Every label CLD2 (pycld2 0.42)
# and py3langid (0.4.0) can return is listed; tests check that.
LABEL_TO_ISO3: dict[str, str] = {
    "aa": "aar", "ab": "abk", "af": "afr", "ak": "aka", "am": "amh", "an": "arg", "ar": "arb",
    "as": "asm", "ay": "ayr", "az": "azj", "ba": "bak", "be": "bel", "bg": "bul", "bh": "bih",
    "bi": "bis", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos", "ca": "cat", "co": "cos",
    "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "dv": "div", "dz": "dzo", "ee": "ewe",
    "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "ekk", "eu": "eus", "fa": "fas",
    "fi": "fin", "fj": "fij", "fo": "fao", "fr": "fra", "fy": "fry", "ga": "gle", "gd": "gla",
    "gl": "glg", "gn": "gug", "gu": "guj", "gv": "glv", "ha": "hau", "he": "heb", "hi": "hin",
    "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "ia": "ina", "id": "ind", "ie": "ile",
    "ig": "ibo", "ik": "ipk", "is": "isl", "it": "ita", "iu": "ike", "ja": "jpn", "jv": "jav",
    "ka": "kat", "kk": "kaz", "kl": "kal", "km": "khm", "kn": "kan", "ko": "kor", "ks": "kas",
    "ku": "kmr", "ky": "kir", "la": "lat", "lb": "ltz", "lg": "lug", "ln": "lin", "lo": "lao",
    "lt": "lit", "lv": "lvs", "mg": "plt", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "khk",
    "mr": "mar", "ms": "zsm", "mt": "mlt", "my": "mya", "na": "nau", "ne": "npi", "nl": "nld",
    "nn": "nno", "no": "nob", "nb": "nob", "nr": "nbl", "ny": "nya", "oc": "oci", "om": "gaz",
    "or": "ory", "os": "oss", "pa": "pan", "pl": "pol", "ps": "pbt", "pt": "por", "qu": "quy",
    "rm": "roh", "rn": "run", "ro": "ron", "ru": "rus", "rw": "kin", "sa": "san", "sd": "snd",
    "se": "sme", "sg": "sag", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo", "sn": "sna",
    "so": "som", "sq": "als", "sr": "srp", "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe",
    "sw": "swh", "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk",
    "tl": "fil", "tn": "tsn", "to": "ton", "tr": "tur", "ts": "tso", "tt": "tat", "tw": "twi",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzn", "ve": "ven", "vi": "vie", "vo": "vol",
    "wa": "wln", "wo": "wol", "xh": "xho", "yi": "ydd", "yo": "yor", "za": "zha", "zh": "cmn",
    "zu": "zul",
    # CLD2's legacy and regional labels.
    "iw": "heb", "jw": "jav", "zh-Hant": "cmn", "sr-ME": "cnr",
    # Labels that are already ISO 639-3 (CLD2 and py3langid).
    **{c: c for c in (
        "ace", "ary", "arz", "bcl", "ceb", "chr", "crh", "crs", "ext", "fuv", "gaa", "gcf", "gcr",
        "gom", "grc", "gug", "guw", "haw", "hbo", "hmn", "kab", "kha", "kik", "kri", "lif", "lij",
        "loz", "ltg", "lua", "luo", "mfe", "new", "nso", "pam", "pcm", "raj", "sco", "sdh", "syr",
        "tlh", "tum", "uzs", "vec", "war", "wuu", "yue", "zxx",
    )},
}

# A language written in another script than its usual one is a different FineWeb-2 code.
SCRIPT_VARIANTS: dict[tuple[str, str], str] = {
    ("kmr", "Arab"): "ckb",  # Kurdish in Arabic script is Central Kurdish (Sorani)
    ("uzn", "Arab"): "uzs",  # Southern Uzbek
}

# Macrolanguages and retired codes a user may write, to the code `langid` sets.
ALIASES: dict[str, str] = {
    "ara": "arb", "zho": "cmn", "chi": "cmn", "msa": "zsm", "may": "zsm", "est": "ekk",
    "lav": "lvs", "sqi": "als", "alb": "als", "swa": "swh", "nor": "nob", "aze": "azj",
    "mon": "khk", "uzb": "uzn", "nep": "npi", "pus": "pbt", "mlg": "plt", "orm": "gaz",
    "grn": "gug", "que": "quy", "yid": "ydd", "aym": "ayr", "iku": "ike", "tgl": "fil",
    "per": "fas", "pes": "fas", "kur": "kmr", "ori": "ory", "hbs": "srp",
}

KNOWN_CODES: frozenset[str] = frozenset(LABEL_TO_ISO3.values()) | frozenset(SCRIPT_VARIANTS.values()) | {"und"}


def to_iso3(label: str, script: str) -> str:
    """The ISO 639-3 code for a model's label, given the text's script."""
    code = LABEL_TO_ISO3.get(label, "und")
    return SCRIPT_VARIANTS.get((code, script), code)


def parse_language(spec: str) -> tuple[str, str | None]:
    """`urd`, `urd_Arab`, `zho` -> (code, script or None); ValueError on an unknown code."""
    code, _, script = spec.strip().partition("_")
    code = code.lower()
    code = ALIASES.get(code, LABEL_TO_ISO3.get(code, code) if len(code) == 2 else code)
    if code not in KNOWN_CODES:
        raise ValueError(
            f"unknown language {spec!r}: give an ISO 639-3 code such as 'urd', 'eng', 'cmn' "
            "(optionally with an ISO 15924 script, 'urd_Arab')"
        )
    if script and not (len(script) == 4 and script.isalpha()):
        raise ValueError(f"bad script in {spec!r}: give an ISO 15924 code such as 'Arab', 'Latn'")
    return code, (script.capitalize() if script else None)
