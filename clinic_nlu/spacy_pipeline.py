"""Build the spaCy pipeline the assistant loads by path.

spaCy's official English models are downloaded from outside the package registries, which
this project cannot rely on. The pipeline is built instead from packages PyPI ships:
a blank English tokenizer, a rule-based sentencizer, lookup lemmas from
``spacy-lookups-data``, and an entity ruler with the clinic's vocabulary
(``clinic_nlu.vocabulary``). The result is deterministic.

    python -m clinic_nlu.spacy_pipeline build/spacy/en_clinic
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from pathlib import Path

import spacy
from spacy.language import Language

from clinic_nlu.vocabulary import entity_ruler_patterns

PIPELINE_NAME = "clinic"
PIPELINE_VERSION = "1.0.0"


def build_pipeline() -> Language:
    """Return the initialised clinic pipeline: sentencizer, lookup lemmatizer, entity ruler."""
    nlp = spacy.blank("en")
    # sentence boundaries: ConText's triggers reach to the end of their sentence at most
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": True})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data
    with warnings.catch_warnings():
        # W012: phrase patterns run through the lemmatizer too; harmless at build time.
        warnings.filterwarnings("ignore", message=r"\[W012\]")
        ruler.add_patterns(entity_ruler_patterns())  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = (
        "Clinic assistant pipeline: tokens, sentences, lookup lemmas, clinical terms."
    )
    return nlp


def write_pipeline(out_dir: Path) -> None:
    """Build the pipeline and write it to ``out_dir``, replacing what was there."""
    nlp = build_pipeline()
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.to_disk(tmp)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    args.out_dir.parent.mkdir(parents=True, exist_ok=True)
    write_pipeline(args.out_dir)
    print(f"spaCy pipeline written to {args.out_dir}")


if __name__ == "__main__":
    main()
