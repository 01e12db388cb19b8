"""Authoring tools over a RuleBook: explain, coverage, rule diffs, dumps, fixtures, scoring, the
HTML report, highlighting, the pytest plugin and the spaCy component.
"""
