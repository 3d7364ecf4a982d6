"""The Screenplay the steps hand off to: actors (`actors`), what they can do (`abilities`: browse
on their devices, read their mailbox, control the test site), their devices (`devices`), the
business verbs they perform (`tasks`), what they ask (`questions`), and everyone in a scenario
(`cast`).

It reaches the portal through CONTRACT v1 only (the control API, the mail sink, the browser with
the profile's selectors) and knows nothing of pytest or of the step definitions above it.
"""
