"""The matcher's instructions: opcodes, their names and the shape of a program. vm.py runs
programs; compiler.py and gates.py make them.
"""

from __future__ import annotations

from typing import Any

NORM, TEST, ANN, SPLIT, JMP, SAVE, ASSERT, LOOK, MATCH, ANY = range(10)
OPNAMES = ("NORM", "TEST", "ANN", "SPLIT", "JMP", "SAVE", "ASSERT", "LOOK", "MATCH", "ANY")

# NORM forms | TEST predicate(d, i) | ANN type | SPLIT first second lazy [gate_first gate_second]
# | JMP to | SAVE slot | ASSERT at_start | LOOK code ahead negate bounded gate near | MATCH | ANY
# (gates: gates.Gate or None; near: prefilter.near)
Code = tuple[tuple[Any, ...], ...]
