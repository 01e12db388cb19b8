"""iedsl: rule-based information extraction for news. Import the public API from here.

>>> from ie_dsl import compile_rules
>>> book = compile_rules(["rules/"])            # doctest: +SKIP
>>> book.extract("doc1", "CSTO warns of terrorist groups from Afghanistan.")  # doctest: +SKIP
"""

from ie_dsl.diagnostics import Diagnostic, IEDslError
from ie_dsl.pipeline import RuleBook, compile_rules
from ie_dsl.scale.frames import to_frame  # imports pyarrow and pandas only when called

__version__ = "0.1.0"
__all__ = ["Diagnostic", "IEDslError", "RuleBook", "compile_rules", "to_frame", "__version__"]
