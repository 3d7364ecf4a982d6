"""The project's docs, a package so that the wheel carries them (`portalcheck.docs`): the suite
reads the policy's text, POLICY-v1.md, through importlib.resources.
"""
