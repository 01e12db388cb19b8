"""A Program over one document -> its statements: annotate, match (engine), then the post-match
passes a rule set declares (attribution, cues, dates, dedupe).

Statements are typed values (`statement.Statement`, built by `statement.make`, changed by
the passes with `dataclasses.replace`) until the boundary, where `statement.to_dict` gives
the dict every output writes; one run's state (deadline, lost matches, dates) is a
`docrun.DocRun`, not the view's.
"""
