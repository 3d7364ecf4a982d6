"""The reference billing portal: every rule of POLICY v1 behind CONTRACT v1."""
