"""Generated workspaces + Claude Code transcripts with planted lessons and traps.

Used by `tests/scenarios/`, the dream benchmark and `reverie demo`.
"""

from reverie.dreamer.scenarios.build import build_demo_workspace, build_scenario, demo_transcripts_dir  # noqa: F401
from reverie.dreamer.scenarios.catalog import SCENARIOS, Expect, Guard, Scenario  # noqa: F401
