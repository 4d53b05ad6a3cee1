"""Immutable release directories and the environment each instance runs with."""
