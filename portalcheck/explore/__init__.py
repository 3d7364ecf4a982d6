"""The explorer (issue 11): random walks through CONTRACT v1, judged by a model of POLICY v1.

`model` predicts, `walk` acts and observes through the contract (`quiet` holds its windows for
unwanted email), `machine` lets Hypothesis drive and shrink the walks, `gherkin` writes a finding
in the suite's own step language, `command` is the `portalcheck explore` command, whose lines that
other programs read are in `output`. Nothing is imported here: importing the package starts nothing.
"""
