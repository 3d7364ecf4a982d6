"""Binds every feature file in this folder to pytest: one test per scenario (and example)."""

from pytest_bdd import scenarios

scenarios(".")
