"""The telecom example tells its story: intent routing raises FCR and lowers transfers
and repeat contacts, each with a paired 95% CI that excludes zero."""

import json
import subprocess
import sys


def test_intent_routing_beats_menu_routing_on_fcr_transfers_and_repeats():
    proc = subprocess.run(
        [sys.executable, "-m", "simcc", "compare", "scenarios/telecom_intent_routing.yaml",
         "--variant", "intent_routing", "-n", "4", "--json",
         "--set", "horizon.duration=3d", "--set", "horizon.drain=1d"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)["variants"]["intent_routing"]["diff"]
    low, high = diff["fcr"]["ci95"]
    assert low > 0.03  # several points of FCR
    assert diff["transfer_rate"]["ci95"][1] < 0
    assert diff["repeat_rate"]["ci95"][1] < 0
    assert diff["cost_per_resolved_issue"]["ci95"][1] < 0
