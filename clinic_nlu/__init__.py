"""Language processing for the clinic assistant: the spaCy pipeline and custom Rasa components.

Public surface:
- ``clinic_nlu.vocabulary``, ``clinic_nlu.context_rules``: the clinical vocabulary of the
  spaCy entity ruler, and the lay ConText triggers.
- ``clinic_nlu.red_flags``: red-flag mentions and whether each applies, on a spaCy ``Doc``.
- ``clinic_nlu.cues``: cues that a message asks about the visitor's own case.
- ``clinic_nlu.decision``: the decision from the classifiers' opinions and the red flags.
- ``clinic_nlu.minilm``: all-MiniLM-L6-v2 sentence embeddings in NumPy
  (``clinic_nlu.minilm_build`` fetches its weights).
- ``clinic_nlu.spacy_pipeline``: builds the spaCy pipeline the assistant loads by path.
- ``clinic_nlu.components``: the Rasa graph components (both classifiers, the decision).

Only ``components`` imports Rasa.
"""
