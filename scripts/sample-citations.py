#!/usr/bin/env python3
"""Draws a fixed sample of the citations in the shipped guides, warnings and
cases, with the text of each cited article, for a fact-check by a person
(issue 22: "a second sample of 25 citations, drawn by a seeded script").

    python3 scripts/sample-citations.py [--seed 22] [--count 25] [--corpus ../shared/corpus/lawrefbook]

For each citation it prints the citing document, the sentence around the
citation, and the newest corpus text of the article, so the reviewer judges
"right", "imprecise" or "wrong" from the two side by side. The same seed and
content always give the same sample. Only 《title》第N条 citations are drawn;
a title is resolved through content/aliases.txt and the built-in list in
crates/weiquan-core/src/search/lexicon/aliases.txt, as the site does.
"""

import argparse
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"《([^《》]{2,80})》(第[零〇一二三四五六七八九十百千两]+条)")
NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
UNITS = {"十": 10, "百": 100, "千": 1000}


def number(label):
    """第一百四十八条 → 148."""
    total, digit = 0, 0
    for c in label.strip("第条"):
        if c in UNITS:
            total += (digit or 1) * UNITS[c]
            digit = 0
        else:
            digit = NUMERALS[c]
    return total + digit


def aliases():
    table = {}
    for path in (REPO / "crates/weiquan-core/src/search/lexicon/aliases.txt", REPO / "content/aliases.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if "=>" in line:
                names, title = line.split("=>")
                for name in names.split(","):
                    table[name.strip()] = title.strip()
    return table


def short(title):
    return title.replace("〈", "《").replace("〉", "》").removeprefix("中华人民共和国")


def newest_texts(corpus):
    """Each law's short title → its newest file (the date in the file name)."""
    newest = {}
    for path in corpus.rglob("*.md"):
        match = re.match(r"(.+)\((\d{4}-\d{2}-\d{2})\)$", path.stem)
        if not match:
            continue
        title, date = short(match.group(1)), match.group(2)
        if title not in newest or date > newest[title][0]:
            newest[title] = (date, path)
    return newest


def article(path, label):
    """The text of the article called `label` in a LawRefBook file."""
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"(?m)^\s*(?:\*\*)?{label}(?:\*\*)?[ 　](.*?)(?=^\s*(?:\*\*)?第[零〇一二三四五六七八九十百千两]+条|^#|\Z)", text, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip() if found else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--count", type=int, default=25)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpus/lawrefbook")
    args = parser.parse_args()
    names, texts = aliases(), newest_texts(args.corpus)
    citations = []
    for kind in ("guides", "warnings", "cases"):
        for path in sorted((REPO / "content" / kind).glob("*.md")):
            body = path.read_text(encoding="utf-8").split("+++", 2)[-1]
            for match in CITATION.finditer(body):
                sentence_start = max(body.rfind(c, 0, match.start()) for c in "。\n") + 1
                ends = [i for i in (body.find(c, match.end()) for c in "。\n") if i >= 0]
                sentence = body[sentence_start:min(ends) + 1 if ends else len(body)].strip()
                citations.append((f"{kind}/{path.stem}", match.group(1), match.group(2), sentence))
    sample = random.Random(args.seed).sample(citations, min(args.count, len(citations)))
    print(f"{len(citations)} citations in content/; {len(sample)} drawn with seed {args.seed}\n")
    for i, (doc, law, label, sentence) in enumerate(sample, 1):
        title = short(names.get(short(law), short(law)))
        found = texts.get(title)
        text = article(found[1], label) if found else None
        # A code in parts (民法典/合同编…) is a folder of its own.
        for part in sorted((args.corpus / title).glob("*.md")) if text is None else []:
            text = text or article(part, label)
        print(f"{i:2}. {doc}: 《{law}》{label}")
        print(f"    ours:   {sentence}")
        print(f"    corpus: {text or '(not found: check by hand)'}")
        print()


if __name__ == "__main__":
    main()
