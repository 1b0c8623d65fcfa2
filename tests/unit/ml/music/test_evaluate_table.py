"""The evaluation table shows which mgeval feature pulls the mean overlapping area down."""

from __future__ import annotations

import numpy as np

from ml.music.evaluate import listener_markdown
from ml.music.metrics import MGEVAL_FEATURES, mgeval_compare


def test_the_table_breaks_the_mean_mgeval_oa_down_per_feature():
    rng = np.random.default_rng(0)
    pieces = [np.where(rng.random((4, 32)) < 0.8, rng.integers(48, 72, (4, 32)), -1) for _ in range(6)]
    mg = mgeval_compare(pieces[:3], pieces[3:])
    facts = {f"mgeval_oa_{name}": v["oa"] for name, v in mg.items()}
    facts.update(mgeval_mean_oa=float(np.mean([v["oa"] for v in mg.values()])), pieces=3)
    results = {
        "seeds": 1,
        "styles": {"chorale": {"sets": {"real": facts}, "density_median": 17.0, "reference_pieces": 3}},
    }
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in listener_markdown(results).splitlines()
        if line.startswith("| ")
    }
    for name in MGEVAL_FEATURES:
        assert rows[f"- mgeval OA: {name.replace('_', ' ')}"] == f"{mg[name]['oa']:.2f}"
    assert rows["mgeval mean OA vs real half A"] == f"{facts['mgeval_mean_oa']:.2f}"
