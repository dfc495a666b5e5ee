"""`python -m bench.calibrate bench/results/a.json bench/results/b.json ...`: write the targets.

Run `python bench/run.py --name calibration-N` three or more times on an otherwise idle machine,
then this over their result files: each page's target becomes the highest ratio seen, times
bench.targets.CALIBRATION_MARGIN (bench/targets.json, committed with the code it describes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.targets import TARGETS_FILE, calibrate, load_targets


def main(paths: list[str]) -> int:
    if len(paths) < 3:
        print("Calibrate from at least three runs.")
        return 1
    reports = [json.loads(Path(path).read_text()) for path in paths]
    # The fixed targets (an issue's, not measured) stay as they are.
    targets = {**calibrate(reports), "fixed": load_targets(TARGETS_FILE).get("fixed", {})}
    TARGETS_FILE.write_text(json.dumps(targets, indent=2) + "\n")
    for page, bound in targets["floor"].items():
        print(f"{page}: p50 / floor <= {bound}")
    for key, bound in targets["critical_path"].items():
        print(f"{key}: p50 / critical path <= {bound}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
