"""Checked rules -> a Program, and a Program over a DocView -> matches: IR, lowering, token tests,
prefilter, compiler, VM, conflicts. Knows no rule set's types or roles.
"""
