"""Language processing for the clinic assistant: the spaCy pipeline and custom Rasa components.

Public surface:
- ``clinic_nlu.vocabulary``: the clinical vocabulary of the spaCy entity ruler.
- ``clinic_nlu.red_flags``: red-flag detection on a spaCy ``Doc`` (no Rasa import).
- ``clinic_nlu.spacy_pipeline``: builds the spaCy pipeline the assistant loads by path.
- ``clinic_nlu.components``: Rasa graph components (red-flag override, FAQ confidence gate).
"""
