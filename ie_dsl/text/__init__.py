"""Document text -> tokens, norms, morphology, NUMBER, MONEY, DATE, and the DocView the matcher
reads. Imports nothing from the other layers.
"""
