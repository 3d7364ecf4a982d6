"""Step definitions and the Screenplay they hand off to: actors, abilities, tasks, questions.

Everything here reaches the portal through CONTRACT v1 only: the control API, the mail sink
and the browser, with the target's profile saying where things are.
"""
