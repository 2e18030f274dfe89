"""The labelled corpus: one JSON object a line, `{"text","queue","priority","language","source"}`.

`source` names the situation a line paraphrases; cross-validation keeps a source in one fold, because
paraphrases of one situation in two folds make any model look better than it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from workorders.domain import urgency
from workorders.domain.taxonomy import Priority, Queue

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path


@dataclass(frozen=True)
class LabelledExample:
    text: str
    queue: Queue
    priority: Priority
    language: str  # "zh" or "en"
    source: str  # the situation this text paraphrases; the grouping key of cross-validation


def parse_lines(lines: Iterable[str], origin: str) -> tuple[list[LabelledExample], int]:
    """The valid examples of a JSONL text and how many lines were dropped as invalid.

    The request's words are `text`, or `description` as the API names them. A line without
    `source` is its own group; without `language` it is guessed from its script.
    """
    examples: list[LabelledExample] = []
    dropped = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = str(row["text"] if "text" in row else row["description"]).strip()
            if not text:
                raise ValueError("empty text")
            examples.append(
                LabelledExample(
                    text=text,
                    queue=Queue(row["queue"]),
                    priority=Priority(row["priority"]),
                    language=row.get("language") or language_of(text),
                    source=str(row.get("source") or f"{origin}:{number}"),
                )
            )
        except (ValueError, KeyError, TypeError):
            dropped += 1
    return examples, dropped


def read_examples(path: Path) -> list[LabelledExample]:
    """Labelled examples from a JSONL file (an evaluation set, a corpus file); invalid lines skipped."""
    return read_examples_counted(path)[0]


def read_examples_counted(path: Path) -> tuple[list[LabelledExample], int]:
    """`read_examples`, and how many lines were skipped as invalid."""
    return parse_lines(path.read_text("utf-8").splitlines(), path.stem)


def language_of(text: str) -> str:
    return "zh" if urgency.HAN.search(text) else "en"


def _corpus_files() -> list[tuple[str, str]]:
    folder = resources.files("workorders.routing_model") / "corpus"
    files = [f for f in folder.iterdir() if f.name.endswith(".jsonl")]
    return sorted((f.name, f.read_text("utf-8")) for f in files)


def load_corpus() -> list[LabelledExample]:
    """The corpus shipped in the package, in a stable order (file name, then line)."""
    examples: list[LabelledExample] = []
    for name, text in _corpus_files():
        found, _ = parse_lines(text.splitlines(), name.removesuffix(".jsonl"))
        examples.extend(found)
    return examples


def fingerprint(examples: Sequence[LabelledExample]) -> str:
    """A hash of the examples' content and order: the same corpus always gives the same name."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.text}\t{e.queue}\t{e.priority}\t{e.language}\t{e.source}\n".encode())
    return digest.hexdigest()
