"""Benchmark: how long a source stock change takes to reach its destination, and handler cold imports.

Runs the real handlers on the local runtime (moto server over HTTP, sandbox Shopify stores over HTTP),
so the figures include every HTTP hop but no internet and no Lambda scheduling. Prints a Markdown
table; record it in docs/benchmarks.md.

    .venv/bin/python bench/stock_path.py [changes]
"""

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from storelink_local.template import load_template

# The sandbox stores live on localhost, an address only a local deployment may register.
SANDBOX_STORES = {"AllowCustomStoreUrls": "true"}

ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "template.yaml"


def cold_import_ms(code_dir: Path) -> float:
    """Cumulative import time of a handler module, imported as Lambda's runtime does (code dir on the path)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=code_dir,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [line for line in result.stderr.splitlines() if re.search(r"\|\s+app$", line)]
    return int(line.split("|")[1]) / 1000


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main(changes: int) -> None:
    template = load_template(TEMPLATE)
    os.environ.update(template.powertools_environment())

    from storelink_local.runtime import LocalRuntime
    from storelink_local.sandbox import load_contract_schema
    from storelink_local.scenario import linked_stores

    print("| handler | cold import (ms), 5 runs: median |")
    print("| --- | --- |")
    for logical_id, function in template.functions.items():
        runs = [cold_import_ms(ROOT / function.code_uri) for _ in range(5)]
        print(f"| {logical_id} | {statistics.median(runs):.0f} |")

    schema = load_contract_schema()
    assert schema is not None, "the Shopify contract is needed for the sandbox stores"
    with (
        LocalRuntime(TEMPLATE, parameter_overrides=SANDBOX_STORES, capture_function_output=True) as runtime,
        linked_stores(runtime, schema, available=changes + 10) as stores,
    ):
        source, destination = stores.source, stores.destination
        runtime.drain()  # the grant's catalogue import
        latencies = []
        for change in range(changes + 1):
            runtime.invocations.clear()
            sold_at = time.perf_counter()
            source.sandbox.set_available(source.level.item_id, source.level.location_id, source.available - 1)
            runtime.drain()
            reported = next(i for i in runtime.invocations if destination.store.store_id in i.summary.get("path", ""))
            assert destination.available == source.available
            if change:  # the first change pays the cold starts
                latencies.append((reported.started - sold_at) * 1000)
    print()
    print(f"| sale at source → destination level changed, {changes} warm changes | ms |")
    print("| --- | --- |")
    for name, value in (
        ("median", statistics.median(latencies)),
        ("p95", percentile(latencies, 0.95)),
        ("max", max(latencies)),
    ):
        print(f"| {name} | {value:.1f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
