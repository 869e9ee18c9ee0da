"""Realistic synthetic listings and libraries for the benchmarks.

English-like titles (~100 characters) and abstracts (~1,500 characters) whose
words follow Zipf's law over a 20,000-word vocabulary (the field's own terms
most often), a few authors each, some code links, a few percent duplicates
across listings.
Deterministic for a given seed, so runs compare like with like.

    python bench/generate.py --papers 100000 --format hf-json -o bench/data/100k.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

WORDS = (
    "learning model models language large reinforcement policy agent agents reasoning vision visual multimodal "
    "transformer transformers attention diffusion generation generative benchmark dataset evaluation efficient "
    "scalable robust alignment preference reward optimization training inference retrieval augmented graph neural "
    "network networks representation contrastive self supervised zero shot few prompt prompting instruction tuning "
    "fine sparse mixture experts quantization distillation compression memory context long video image audio speech "
    "3d scene understanding detection segmentation tracking planning control robot robotics manipulation navigation "
    "embodied simulation physics world code program synthesis math theorem proving chain thought explainable "
    "interpretable causal fairness privacy federated continual adaptation domain transfer uncertainty calibration "
    "hallucination factuality safety jailbreak adversarial attack defense watermark token tokenizer embedding"
).split()
CAPITALISED = "LLM LLMs MLLM RLHF GPT-4o CLIP ViT BERT LoRA DPO PPO RAG SAM NeRF Gaussian Splatting Mamba".split()
FIRST = (
    "Wei Yu Jing Li Ana Maria Lukas Sofia Hiroshi Priya Ahmed Olga Carlos Emma Noah Chen Zhang Yuki Ivan Fatima".split()
)
LAST = "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Smith Müller García Rossi Kowalski Nguyen Kim Tanaka Ivanova".split()


FUNCTION_WORDS = (
    "the of and to a in for we is that with on by as our this are from which be can an these it at than both "
    "such while over into using based show propose results method approach paper work across without only"
).split()
SYLLABLES = "ka lo mi ne ru ta vi so re de ba co tor lin gra phi ment tion ous ive al ic ra li ne".split()


def _vocabulary(size: int = 20_000) -> list[str]:
    """General words by frequency rank (made up from syllables, so they are not the field's terms)."""
    rng = random.Random(12345)
    words: list[str] = []
    seen = set(WORDS) | set(FUNCTION_WORDS)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf(count: int) -> list[float]:
    """Cumulative weights for Zipf's law: rank r is used in proportion to 1 / r."""
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return cumulative


VOCABULARY = _vocabulary()
_VOCAB_WEIGHTS = _zipf(len(VOCABULARY))
_TOPIC_WEIGHTS = _zipf(len(WORDS))


def topics(rng: random.Random) -> list[str]:
    """A paper's few subject terms: it uses them often, most papers never do."""
    return rng.choices(WORDS, cum_weights=_TOPIC_WEIGHTS, k=3)


def sentence(rng: random.Random, length: int, subject: list[str]) -> str:
    """Function words, Zipf-distributed general words, and the paper's own terms."""
    words = []
    for word in rng.choices(VOCABULARY, cum_weights=_VOCAB_WEIGHTS, k=length):
        roll = rng.random()
        if roll < 0.15:
            word = rng.choice(subject)
        elif roll < 0.55:
            word = rng.choice(FUNCTION_WORDS)
        words.append(word)
    if rng.random() < 0.3:
        words[rng.randrange(length)] = rng.choice(CAPITALISED)
    text = " ".join(words)
    return text[0].upper() + text[1:]


def title(rng: random.Random, index: int, subject: list[str]) -> str:
    name = rng.choice(CAPITALISED) + rng.choice(["Net", "Former", "Bench", "Agent", "-R1", "Zero"])
    return f"{name}: {sentence(rng, rng.randint(8, 13), subject)} {index}"


def abstract(rng: random.Random, subject: list[str]) -> str:
    parts = []
    while sum(len(p) for p in parts) < 1400:
        parts.append(sentence(rng, rng.randint(12, 25), subject) + ".")
    if rng.random() < 0.4:
        parts.append(
            f"Code is available at https://github.com/{rng.choice(LAST).lower()}/{rng.choice(WORDS)}-{rng.randint(1, 999)}."
        )
    return " ".join(parts)


def papers(count: int, seed: int = 1, start: int = 0) -> Iterator[dict]:
    """Synthetic papers; about 3% repeat an earlier one (a duplicate across listings)."""
    rng = random.Random(seed)
    made: list[int] = []
    for i in range(start, start + count):
        if made and rng.random() < 0.03:
            index = rng.choice(made)
        else:
            index = i
            made.append(i)
        local = random.Random(index)
        subject = topics(local)
        yield {
            "index": index,
            "arxiv_id": f"{2400 + index // 90000:04d}.{index % 90000 + 10000:05d}",
            "title": title(local, index, subject),
            "abstract": abstract(local, subject),
            "authors": [f"{local.choice(FIRST)} {local.choice(LAST)}" for _ in range(local.randint(1, 6))],
            "published": dt.date(2024, 1, 1) + dt.timedelta(days=index % 600),
            "listing": dt.date(2024, 1, 2) + dt.timedelta(days=(index // 50) % 700),
        }


def write_json(path: Path, count: int, seed: int = 1, start: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        for n, p in enumerate(papers(count, seed, start)):
            item = {
                "paper": {
                    "id": p["arxiv_id"],
                    "authors": [{"_id": f"a{k}", "name": a, "hidden": False} for k, a in enumerate(p["authors"])],
                    "publishedAt": f"{p['published']}T12:00:00.000Z",
                    "submittedOnDailyAt": f"{p['listing']}T04:00:00.000Z",
                    "title": p["title"],
                    "summary": p["abstract"],
                    "upvotes": p["index"] % 50,
                },
                "publishedAt": f"{p['published']}T12:00:00.000Z",
                "title": p["title"],
                "numComments": 0,
            }
            fh.write(("," if n else "") + json.dumps(item, ensure_ascii=False) + "\n")
        fh.write("]\n")
    return path


def write_text(path: Path, count: int, seed: int = 1, start: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Daily Papers\n\nbyAK and the research community\n\nSep 11\n\n")
        for p in papers(count, seed, start):
            fh.write(f"{p['title']}\n\n{p['abstract']}\n\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--format", choices=["hf-json", "hf-text"], default="hf-json")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first paper index (for disjoint listings)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    writer = write_json if args.format == "hf-json" else write_text
    print(writer(args.output, args.papers, args.seed, args.start))


if __name__ == "__main__":
    main()
