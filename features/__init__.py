"""The bundled conformance features, one file per area of the policy.

A package so that the wheel carries them as `portalcheck.features`; `test_conformance.py` binds
them to pytest.
"""
