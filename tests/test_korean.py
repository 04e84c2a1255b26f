"""The lectures' language: Korean summaries, Korean notebook paragraphs and the glossary's words.

The lectures are taught in Korean; the course's English texts carry a Korean layer that uses the
decks' own terms, kept in one place, the glossary of ``course/README.md``. Reads text files only
(no TensorFlow import): the whole file runs in well under a second.

The rules checked, so that a reader knows what "uses the glossary's terms" means here:

1. Every chapter note ``course/NN_*.md`` opens, right after its H1 title, with a section
   ``## 핵심 정리`` that contains Hangul. The section ends at the next heading or at a ``---`` rule.
2. The section ends with a **key list**: one line
   ``**용어**: 한국어 (English) · 한국어 (English) · ...``. For every item
   - the Korean term is one of the glossary's Korean terms (the 한국어 column of the glossary
     table, bold marks removed, split at ``/``, ``,`` and parentheses, each piece one term);
   - every word of the English in parentheses occurs (case-insensitively) in the English column
     of one glossary row holding that Korean term, so the term is the glossary's word *for that
     idea* ("gradient ascent" fits the row "gradient descent / ascent", "generator" does not fit
     the row "discriminator");
   - the Korean term occurs in the summary's own text, line breaks read as spaces (the list names
     words the summary uses).
3. Every decimal number of a summary (``0.24``, ``43.85``, ``1.25``) also stands in the rest of
   its note, so that a summary cannot drift from its note's measurements: a re-measured table
   fails this test until the summary follows it.
4. Every notebook's first cell contains Hangul and links the 핵심 정리 of its note.
5. 판별기 and 생성기, which no lecture deck uses, appear nowhere in ``course/*.md`` nor in a
   notebook's first cell.
6. ``course/README.md`` has a Korean syllabus right after the English one, linking every note.

The helpers are tested on small texts too, so that each rule is shown to reject what it should.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTES = sorted(p for p in (ROOT / "course").glob("[0-9][0-9]_*.md"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
README = ROOT / "course" / "README.md"

HANGUL = re.compile(r"[\uac00-\ud7a3]")
BANNED = ("판별기", "생성기")  # in no deck: the decks say 판별자 / 구분자 and 생성자
SUMMARY_TITLE = "## 핵심 정리"
KEY_LIST = re.compile(r"^\*\*용어\*\*: (.+)$", re.M)
KEY_ITEM = re.compile(r"^(.+?) \((.+)\)$")


# ----------------------------------------------------------------------------- helpers

def glossary(readme_text: str) -> dict[str, list[str]]:
    """Return {Korean term: [English column of every glossary row that holds it]}."""
    part = readme_text.split("\n## Glossary", 1)
    if len(part) != 2:
        raise ValueError("course/README.md has no '## Glossary' section")
    body = part[1].split("\n## ", 1)[0]
    terms: dict[str, list[str]] = {}
    for line in body.splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) < 2 or cells[0] in ("English", "") or set(cells[0]) <= set("-: "):
            continue
        english, korean = cells[0], cells[1].replace("**", "")
        for term in re.split(r"\s*(?:/|,|\(|\))\s*", korean):
            if term.strip():
                terms.setdefault(term.strip(), []).append(english)
    return terms


def summary_section(note_text: str) -> str:
    """Return the text of the 핵심 정리 section that must directly follow the H1 title."""
    lines = note_text.split("\n")
    if not lines or not lines[0].startswith("# "):
        raise ValueError("the note does not start with its H1 title")
    rest = [line for line in lines[1:]]
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is None or rest[first].strip() != SUMMARY_TITLE:
        found = rest[first].strip() if first is not None else "nothing"
        raise ValueError(f"expected {SUMMARY_TITLE!r} right after the title, found {found!r}")
    body = []
    for line in rest[first + 1:]:
        if line.startswith("#") or line.strip() == "---":
            break
        body.append(line)
    return "\n".join(body)


def key_list_problems(section: str, terms: dict[str, list[str]]) -> list[str]:
    """Return one line per item of the section's key list that breaks rule 2 (see the docstring)."""
    found = KEY_LIST.findall(section)
    if len(found) != 1:
        return [f"expected one key list line '**용어**: ...', found {len(found)}"]
    prose = re.sub(r"\s+", " ", KEY_LIST.sub("", section))
    problems = []
    for item in found[0].split(" · "):
        match = KEY_ITEM.match(item.strip())
        if not match:
            problems.append(f"key list item {item!r} is not 'Korean (English)'")
            continue
        korean, english = match.groups()
        if korean not in terms:
            problems.append(f"{korean!r} is not a Korean term of the glossary")
            continue
        if not any(_words(english) <= _words(row) for row in terms[korean]):
            problems.append(f"{korean!r} is the glossary's word for {terms[korean]}, not for {english!r}")
        if korean not in prose:
            problems.append(f"{korean!r} is in the key list but not in the summary")
    return problems


def numbers_not_in_body(note_text: str) -> list[str]:
    """Return the decimal numbers of the 핵심 정리 that the rest of the note does not contain (rule 3)."""
    section = summary_section(note_text)
    body = note_text.replace(section, "", 1)
    numbers = sorted(set(re.findall(r"(?<![\w.])\d+\.\d+", section)))
    return [n for n in numbers if not re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", body)]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w²]+", text.lower()))


def first_cell(path: Path) -> str:
    cell = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


# ----------------------------------------------------------------------------- the course

def test_there_are_ten_chapters():
    assert len(NOTES) == 10 and len(NOTEBOOKS) == 10


@pytest.mark.parametrize("path", NOTES, ids=[p.stem for p in NOTES])
def test_every_note_opens_with_a_korean_summary_in_the_glossarys_words(path):
    section = summary_section(path.read_text(encoding="utf-8"))
    assert len(HANGUL.findall(section)) > 200, f"{path.name}: the 핵심 정리 has (almost) no Korean"
    problems = key_list_problems(section, glossary(README.read_text(encoding="utf-8")))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTES, ids=[p.stem for p in NOTES])
def test_summary_numbers_are_the_notes_numbers(path):
    missing = numbers_not_in_body(path.read_text(encoding="utf-8"))
    assert not missing, f"{path.name}: the 핵심 정리 quotes {missing}, which the note itself does not give"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_first_cell_has_a_korean_paragraph(path):
    text = first_cell(path)
    assert len(HANGUL.findall(text)) > 50, f"{path.name}: the first cell has no Korean paragraph"
    assert f"(../course/{path.stem}.md#핵심-정리)" in text, f"{path.name}: no link to the note's 핵심 정리"


def test_terms_in_no_deck_are_nowhere():
    texts = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "course").glob("*.md")}
    texts.update({f"{p.relative_to(ROOT).as_posix()} (first cell)": first_cell(p) for p in NOTEBOOKS})
    found = [f"{name}: {word}" for name, text in texts.items() for word in BANNED if word in text]
    assert not found, found


def test_glossary_gives_the_lectures_words():
    terms = glossary(README.read_text(encoding="utf-8"))
    lecture = {  # the decks' words (issue 20, read side by side with the decks)
        "적대적 생성 신경망": "generative adversarial network", "생성적 적대 신경망": "generative adversarial network",
        "판별자": "discriminator", "구분자": "discriminator", "생성자": "generator",
        "구분 모델": "discriminative model", "내쉬 평형": "Nash equilibrium",
        "변이형 오토 인코더": "variational autoencoder", "비용함수": "cost", "활성화 값": "activation",
        "경쟁적 학습": "adversarial training", "로그우도": "log-likelihood",
    }
    for korean, english in lecture.items():
        assert korean in terms, f"the glossary lacks {korean}"
        assert any(english.lower() in row.lower() for row in terms[korean]), (korean, terms[korean])
    text = README.read_text(encoding="utf-8")
    for korean in ("적대적 생성 신경망", "판별자", "구분자", "생성자", "구분 모델", "내쉬 평형", "변이형 오토 인코더",
                   "비용함수", "활성화 값", "경쟁적 학습", "로그우도"):
        assert f"**{korean}**" in text, f"{korean} is the lecture's word: it comes first, in bold"


def test_korean_syllabus_follows_the_english_one():
    text = README.read_text(encoding="utf-8")
    english = text.index("\n## Chapters")
    korean = text.index("\n## 강의 계획")
    assert english < korean < text.index("\n## How the exercises")
    assert "\n## " not in text[english + 1:korean], "the Korean syllabus must come right after the English one"
    section = text[korean:].split("\n## ", 2)[1]
    for note in NOTES:
        assert f"]({note.name})" in section, f"the Korean syllabus does not link {note.name}"


# ----------------------------------------------------------------------------- the rules reject

GLOSSARY_DEMO = """# x

## Glossary — 용어집

| English | 한국어 | Meaning | Ch. |
|---|---|---|---|
| generator | **생성자** | G | 01 |
| discriminator | **판별자**, **구분자** | D | 01 |
| gradient descent / ascent | 경사 하강법 / 경사 상승법 | steps | 01 |
| prior / posterior | 사전 분포 / 사후 분포 | `q(z\\|x)` | 07 |
"""


def test_glossary_parser_splits_forms_and_keeps_the_english_of_each_row():
    terms = glossary(GLOSSARY_DEMO)
    assert terms == {
        "생성자": ["generator"], "판별자": ["discriminator"], "구분자": ["discriminator"],
        "경사 하강법": ["gradient descent / ascent"], "경사 상승법": ["gradient descent / ascent"],
        "사전 분포": ["prior / posterior"], "사후 분포": ["prior / posterior"],
    }
    with pytest.raises(ValueError, match="Glossary"):
        glossary("# no glossary here\n")


@pytest.mark.parametrize("section, message", [
    ("생성자와 판별자.\n\n**용어**: 생성자 (generator) · 판별자 (discriminator)", None),
    ("생성자와 판별기.\n\n**용어**: 생성자 (generator) · 판별기 (discriminator)", "not a Korean term"),
    ("생성자와 판별자.\n\n**용어**: 생성자 (discriminator)", "not for 'discriminator'"),
    ("경사\n상승법.\n\n**용어**: 경사 상승법 (gradient ascent)", None),
    ("경사 상승법.\n\n**용어**: 경사 상승법 (stochastic gradient ascent)", "not for"),
    ("생성자만.\n\n**용어**: 생성자 (generator) · 판별자 (discriminator)", "not in the summary"),
    ("생성자.\n\n**용어**: 생성자 generator", "not 'Korean (English)'"),
    ("생성자와 판별자, 목록 없음.", "expected one key list"),
    ("생성자.\n\n**용어**: 생성자 (generator)\n**용어**: 생성자 (generator)", "expected one key list"),
])
def test_key_list_rule_rejects_words_outside_the_glossary(section, message):
    problems = key_list_problems(section, glossary(GLOSSARY_DEMO))
    if message is None:
        assert problems == []
    else:
        assert any(message in p for p in problems), problems


def test_numbers_rule_rejects_a_number_the_note_does_not_give():
    note = "# T\n\n## 핵심 정리\n\n정확도 0.93, 손실 1.5.\n\n---\n\nAccuracy 0.93; loss 1.25.\n"
    assert numbers_not_in_body(note) == ["1.5"]
    assert numbers_not_in_body(note.replace("loss 1.25", "loss 1.5")) == []
    assert numbers_not_in_body(note.replace("0.93;", "0.931;")) == ["0.93", "1.5"]


@pytest.mark.parametrize("note, message", [
    ("# T\n\n## 핵심 정리\n\n요약.\n\n---\n\nNotebook: x\n\n## The game\n", None),
    ("# T\n\nNotebook: x\n\n## 핵심 정리\n\n요약.\n", "right after the title"),
    ("# T\n\n## The game\n\n## 핵심 정리\n\n요약.\n", "right after the title"),
    ("Intro\n\n# T\n\n## 핵심 정리\n", "H1 title"),
])
def test_summary_must_come_right_after_the_title(note, message):
    if message is None:
        assert summary_section(note).strip() == "요약."
    else:
        with pytest.raises(ValueError, match=message):
            summary_section(note)
