"""The embedding models' benchmark table: any number of models, each beside the first."""
from __future__ import annotations

from qa.bench.models import parse, table


def test_each_model_is_shown_beside_the_first_as_a_ratio():
    latency = {"small": [0.010, 0.012], "large": [0.050, 0.060], "large-int8": [0.020, 0.024]}
    runs = {("news", model): [{"seconds": seconds, "passages": 10, "sentences": 40, "index_bytes": 2**20 * size,
                               "peak_rss_mb": 300, "load_seconds": 1.0}]
            for model, seconds, size in (("small", 10.0, 1), ("large", 50.0, 2), ("large-int8", 20.0, 2))}
    lines = table(latency, runs).splitlines()
    assert lines[0] == "| measure | small | large | large-int8 | large / small | large-int8 / small |"
    assert lines[1].count("---") == 6
    build = next(line for line in lines if line.startswith("| index build"))
    assert build.endswith("| 10.0 s | 50.0 s | 20.0 s | 5.0x | 2.0x |")


def test_the_models_to_compare_are_chosen_on_the_command_line():
    assert parse(["--model", "a", "--model", "b", "--model", "a"]).models == ("a", "b")
    assert parse([]).models[0] == "all-MiniLM-L6-v2"
