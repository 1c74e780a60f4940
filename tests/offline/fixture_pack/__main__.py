"""Builds the fixture pack; constructing PolicyPack starts the Analyzer server and blocks."""

from fixture_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="fixture-pack", policies=POLICIES, enforcement_level=EnforcementLevel.ADVISORY)
