"""A Program over one document -> its statements: annotate, match (engine), then the post-match
passes a rule set declares (attribution, cues, dates, dedupe).
"""
