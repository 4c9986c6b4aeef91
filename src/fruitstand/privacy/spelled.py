"""E-mail addresses written out so that harvesters miss them: `jane at mail dot com`,
`jane [at] mail [dot] org`, `jane(at)mail.de`, `j dot doe AT uni DOT edu`.

Only forms that are clearly addresses count, since "at" and "dot" are common words:

- "at" in brackets (`(at)`, `[at]`, `{at}`, `<at>`, a space allowed inside and around), then a
  domain whose dots are `.`, bracketed or written as the word; or
- "at" as a word between spaces, then a domain with at least one dot written as a word or in
  brackets (so "I work at google.com" is no address), a top-level domain that exists and is no
  English word ("at each dot to ..."), a first label that is not a function word ("at the dot com
  boom"), and one sign that an address is meant: "AT"/"DOT" in capitals, a local part with an
  address's characters (`j.doe`, `jdoe99`), a word that says e-mail within 40 characters before it,
  or a large mail provider's domain.

Linear: "at" is looked for only at a bracketed "at" and in the 400 characters before each "dot"
(windows merged, so each character is read a bounded number of times), and each check around it
reads at most a few hundred characters. `pii.find` runs this only on texts that hold "dot",
"DOT" or a bracketed "at" (`BRACKETED_AT`, which its scan tries at every bracket it passes).
"""

from __future__ import annotations

import re

BRACKETED_AT = re.compile(r"[\[({<][ ]?(?:at|AT|At)[ ]?[\])}>]")
_DOT_HINT = re.compile(r"dot|DOT")
_AT_WORD = re.compile(r"\b(?:at|AT|At)\b")  # "At" only in brackets
_OPEN, _CLOSE = "[({<", "])}>"
_GAP = " \t\xa0"
_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}+)")
_DOT_SEP = re.compile(
    r"\.(?=[^\W_])|[ \t\xa0]+(?P<word>dot|DOT)[ \t\xa0]+|[ \t\xa0]?[\[({<][ ]?(?P<br>dot|DOT)[ ]?[\])}>][ \t\xa0]?"
)
_DOT_SEP_BEFORE = re.compile(
    r"(?:[ \t\xa0]+(?:dot|DOT)[ \t\xa0]+|[ \t\xa0]?[\[({<][ ]?(?:dot|DOT)[ ]?[\])}>][ \t\xa0]?)\Z"
)
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_NOT_TLD = frozenset("png jpg jpeg gif svg webp js css json txt html htm php xml pdf zip gz".split())

# IANA's country-code TLDs and the common generic ones; for the word form, less the ones that are
# also English words.
_CC_TLDS = frozenset(
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz "
    "ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk "
    "fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir "
    "is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk "
    "ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl "
    "pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc "
    "td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw".split()
)
_ENGLISH_2 = frozenset("am an as at be by do go he hi id if in is it me my no of on or so to up us we".split())
_WORD_TLDS = (_CC_TLDS - _ENGLISH_2) | frozenset(
    "com net org edu gov mil int info biz name pro mobi aero coop museum asia app dev io ai xyz online site".split()
)
_FUNCTION_WORDS = frozenset(
    "the a an this that these those his her its my our your their some any each every one all no least most "
    "first last which what who whom whose where when it me you him them us home work night noon once".split()
)
_MAIL_WORDS = frozenset(
    "email e-mail mail mailto write contact address courriel correo correio posta postmaster kontakt "
    "почта почту адрес 邮箱 邮件 メール 이메일 ایمیل ईमेल".split()
)
_MAIL_PROVIDERS = frozenset(
    "gmail googlemail yahoo hotmail outlook live msn aol icloud me mac gmx web yandex mail qq 163 126 "
    "protonmail proton zoho fastmail rediffmail naver daum libero orange free laposte t-online".split()
)
_WORDS_BEFORE = re.compile(r"[\w-]+")


def _local(text: str, end: int) -> int | None:
    """The start of the local part that ends at `end`: up to four tokens joined by dots or dot words."""
    start = token_end = end
    for _ in range(4):
        s, low = token_end, max(0, token_end - 64)
        while s > low and (text[s - 1] in _LOCAL_CHARS or text[s - 1].isalnum()):
            s -= 1
        while s < token_end and text[s] in ".-+%":
            s += 1
        if s == token_end or text[token_end - 1] in ".-":
            break
        start = s
        sep = _DOT_SEP_BEFORE.search(text, max(0, start - 12), start)
        if sep is None:
            break
        token_end = sep.start()
    return start if start < end else None


def _tld(label: str) -> bool:
    low = label.lower()
    return label.isalpha() and (low in _CC_TLDS if len(low) == 2 else len(low) > 2 and low not in _NOT_TLD)


def _domain(text: str, pos: int) -> tuple[int, list[str], list[str]] | None:
    """The domain starting at `pos`: its end, its labels and the kinds of separator between them."""
    m = _LABEL.match(text, pos)
    if m is None:
        return None
    labels, seps, ends = [m.group()], [], [m.end()]
    while len(labels) < 6:
        sep = _DOT_SEP.match(text, ends[-1])
        nxt = _LABEL.match(text, sep.end()) if sep else None
        if nxt is None:
            break
        seps.append("word" if sep.group("word") else "bracket" if sep.group("br") else "dot")
        labels.append(nxt.group())
        ends.append(nxt.end())
    # Cut trailing labels back to a top-level domain (a sentence may go on after the address):
    # letters, and a country's code if it has two (every two-letter TLD is one, by IANA's rule).
    while len(labels) >= 2 and not _tld(labels[-1]):
        labels.pop()
        seps.pop()
        ends.pop()
    if len(labels) < 2 or any(lab[-1] == "-" for lab in labels):
        return None
    return ends[-1], labels, seps


def _windows(text: str) -> list[tuple[int, int]]:
    """Where an address's "at" can be: at a bracketed "at", or up to 400 characters before a "dot"
    (a word-form address has one in its domain, of at most six labels after the "at")."""
    spans = [(m.start(), m.end()) for m in BRACKETED_AT.finditer(text)]
    spans += [(max(0, m.start() - 400), m.end()) for m in _DOT_HINT.finditer(text)]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def spelled_emails(text: str) -> list[tuple[int, int, str]]:
    """(start, end, address) of every written-out e-mail address in `text`, left to right."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for m in (m for lo, hi in _windows(text) for m in _AT_WORD.finditer(text, lo, hi)):
        p, q = m.span()
        if p < pos or p == 0 or q >= len(text):
            continue
        left, right = p - 1, q
        if text[left] == " " and p >= 2 and text[left - 1] in _OPEN:
            left -= 1
        if text[right] == " " and q + 1 < len(text) and text[right + 1] in _CLOSE:
            right += 1
        bracketed = text[left] in _OPEN and text[right] in _CLOSE and _OPEN.index(text[left]) == _CLOSE.index(text[right])
        if bracketed:
            right += 1
            if left and text[left - 1] in _GAP:
                left -= 1
            if right < len(text) and text[right] in _GAP:
                right += 1
        elif m.group() == "At" or not (text[left] in _GAP and text[right] in _GAP):
            continue
        else:
            right += 1
        start = _local(text, left)
        dom = _domain(text, right) if start is not None else None
        if dom is None:
            continue
        end, labels, seps = dom
        local = text[start:left]
        if not bracketed and not _word_form_ok(text, start, local, m.group(), labels, seps):
            continue
        local_address = re.sub(r"[ \t\xa0]*[\[({<]?[ ]?(?:dot|DOT)[ ]?[\])}>]?[ \t\xa0]*", ".", local)
        out.append((start, end, f"{local_address}@{'.'.join(labels)}".lower()))
        pos = end
    return out


def _word_form_ok(text: str, start: int, local: str, at: str, labels: list[str], seps: list[str]) -> bool:
    if seps.count("dot") == len(seps) or labels[-1].lower() not in _WORD_TLDS:
        return False
    last_local = re.split(r"[ \t\xa0.]", local)[-1].lower()
    if labels[0].lower() in _FUNCTION_WORDS or last_local in _FUNCTION_WORDS:
        return False
    if at == "AT" and "DOT" in text[start : start + 400] or labels[0].lower() in _MAIL_PROVIDERS:
        return True
    if any(c in local for c in "._+-%") or any(c.isdigit() for c in local):
        return True
    before = text[max(0, start - 40) : start].lower()
    return not _MAIL_WORDS.isdisjoint(_WORDS_BEFORE.findall(before))

