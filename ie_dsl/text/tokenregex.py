"""Token regexes (`/.../` in rules) run on RE2: matching time is linear in the token's
length whatever the pattern, which the backtracking `re`/`regex` engines cannot promise
(`(a|a)+$` took 96 s on 28 characters with `regex`). Patterns RE2 refuses (backreferences,
look-arounds, possessive quantifiers, too large) are errors in the rule, not at run time.
"""

from __future__ import annotations

from typing import Any

import re2

FLAGS = {"i": "ignore case", "a": "ASCII classes (RE2's \\w, \\d, \\s always are)"}
MAX_MEM = 8 << 20  # bytes RE2 may use per pattern; larger programs are refused


class TokenRegexError(ValueError):
    """RE2 refused the pattern; the message says why."""


def compile_token_regex(pattern: str, flags: str) -> Any:
    """A compiled RE2 pattern for /pattern/flags, or TokenRegexError."""
    options = re2.Options()
    options.log_errors = False  # the error comes back as an exception, not on stderr
    options.case_sensitive = "i" not in flags
    options.max_mem = MAX_MEM
    try:
        return re2.compile(pattern, options)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        raise TokenRegexError(reason.decode() if isinstance(reason, bytes) else str(reason)) from None
