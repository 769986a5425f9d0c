"""Benchmark: every handler's cold import against `import boto3`, side by side (issue 16: at most 1.5 times).

Each round imports `boto3` and then every `functions/*/app.py` once, each in a fresh Python process, as Lambda's
runtime imports a handler: from the function's folder, with the template's POWERTOOLS_* variables. The time is the
child's CPU time (`time.process_time()`) around the one import statement: an import is CPU-bound, and CPU time is
what a busy shared machine disturbs least (wall time doubled there under other work). The interpreter's own
start-up is left out. Prints the median of the rounds per handler, and its ratio to boto3's.

Two settings per handler:
- deployed: LAMBDA_TASK_ROOT set, so Powertools' Tracer is on, as with the template's `Tracing: Active`;
- tracing off: as tests, the local runtime and `sam local` run the handlers.

Measured as Lambda would run them: this virtualenv holds packages the Lambda runtime does not (SAM CLI brings
awscrt, which botocore would load, pyOpenSSL, which urllib3 would; rich and click give httpx its CLI). The child
process refuses to import any installed package outside what Lambda has: the closure of
layers/common/requirements.txt (the layer) and boto3 (the runtime's), so `try: import awscrt` fails there as it
does in Lambda.

"+ wiring" goes on in the same child to the first call of every cached builder of the handler module (its settings
read from the template's environment, its boto3 clients and resources, its secrets provider, and for a function
that calls stores its connectors and httpx's client, imported then: storelink.bootstrap._connectors): the cold
start's work before the first event is looked at, so a cost moved from the import to the wiring still shows. AWS is
not called (an endpoint that refuses connections would fail the run). "+ all models built" then builds every
storelink model loaded but not yet built (the domain's and the settings' build when first used): the most the first
events can add to the cold start; what a function's events never use is the deferral's gain.

    .venv/bin/python bench/cold_import.py [rounds]        # the table; 7 rounds by default
    .venv/bin/python bench/cold_import.py --before DIR    # and a checkout's, e.g. `git archive main`, side by side
    .venv/bin/python bench/cold_import.py --why stock_worker  # the child's -X importtime, largest first
"""

import argparse
import importlib.metadata
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from storelink_local.template import load_template

ROOT = Path(__file__).parents[1]
LAYER_REQUIREMENTS = ROOT / "layers" / "common" / "requirements.txt"
# What the Lambda Python runtime provides beside the function's code and layers.
RUNTIME_PACKAGES = ("boto3",)
# Lambda's own variables for the wiring: credentials as the runtime sets them, and no AWS reachable.
LAMBDA_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
}

# The child: refuse what Lambda lacks, time the import, then the first call of each cached builder (the wiring), then
# the build of every storelink model loaded but not built yet (deferred: the most its first events can add).
CHILD = """
import functools, inspect, sys, time
absent = frozenset(sys.argv[1].split(","))

class NotInLambda:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in absent:
            raise ModuleNotFoundError(f"No module named {name!r} (not in Lambda)", name=name)
        return None

def models(base):
    for model in base.__subclasses__():
        yield model
        yield from models(model)

sys.meta_path.insert(0, NotInLambda)
started = time.process_time()
import {module}
imported = time.process_time()
if {module}.__name__ == "app":
    for builder in [value for value in vars(app).values() if isinstance(value, functools._lru_cache_wrapper)]:
        if not inspect.signature(builder).parameters:
            builder()
wired = time.process_time()
if "pydantic" in sys.modules:
    for model in list(models(sys.modules["pydantic"].BaseModel)):
        generic = model.__pydantic_generic_metadata__["parameters"]
        if model.__module__.startswith("storelink") and not model.__pydantic_complete__ and not generic:
            model.model_rebuild()
print(imported - started, wired - started, time.process_time() - started)
"""


@dataclass(frozen=True)
class Target:
    name: str
    module: str  # what Lambda imports: app, or boto3 for the yardstick
    environment: Mapping[str, str] = field(default_factory=dict)  # the function's, from the template


def lambda_distributions() -> set[str]:
    """The distributions a deployed function can import: the layer's requirements and the runtime's boto3, with
    everything they require (their extras' requirements included)."""
    wanted = [Requirement(line) for line in LAYER_REQUIREMENTS.read_text().splitlines() if line.strip()[:1].isalpha()]
    wanted += [Requirement(name) for name in RUNTIME_PACKAGES]
    found: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        for required in importlib.metadata.requires(requirement.name) or []:
            needed = Requirement(required)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in extras):
                wanted.append(needed)
    return found


def absent_in_lambda() -> list[str]:
    """Top-level modules installed here that no Lambda distribution provides (storelink itself is the layer)."""
    in_lambda = lambda_distributions()
    return sorted(
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if module != "storelink" and not any(canonicalize_name(name) in in_lambda for name in distributions)
    )


def targets() -> list[Target]:
    functions = load_template(ROOT / "template.yaml").functions
    handlers = [Target(Path(f.code_uri).name, "app", f.environment) for f in functions.values()]
    return [Target("import boto3", "boto3"), *sorted(handlers, key=lambda target: target.name)]


def child_run(target: Target, tree: Path, absent: list[str], *, traced: bool, flags: tuple[str, ...] = ()) -> str:
    """The child in the target's folder of `tree` (a checkout: its storelink package comes first on the path)."""
    code_dir = tree / "functions" / target.name if target.module == "app" else tree
    code = CHILD.replace("{module}", target.module)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tree / "layers" / "common"),
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        **LAMBDA_ENVIRONMENT,
        **load_template(tree / "template.yaml").powertools_environment(),
        **target.environment,
    }
    if traced:
        environment["LAMBDA_TASK_ROOT"] = str(code_dir)
    result = subprocess.run(  # noqa: S603  (this interpreter, this benchmark's own code)
        [sys.executable, *flags, "-c", code, ",".join(absent)],
        cwd=code_dir,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout if not flags else result.stderr


def table(rounds: int, trees: dict[str, Path]) -> None:
    absent = absent_in_lambda()
    rows = targets()
    columns = [(tree, traced) for tree in trees for traced in (True, False)]
    runs: dict[tuple[str, str, bool], list[tuple[float, float, float]]] = {
        (row.name, tree, traced): [] for row in rows for tree, traced in columns
    }
    for _ in range(rounds):  # a round is every import of every tree once, so a busy moment hits them all
        for tree, traced in columns:
            for row in rows:
                imported, wired, built = child_run(row, trees[tree], absent, traced=traced).split()
                runs[row.name, tree, traced].append((float(imported) * 1000, float(wired) * 1000, float(built) * 1000))
    print(f"Median of {rounds} rounds, a fresh process per import; {len(absent)} packages not in Lambda refused.")
    for tree in trees:
        boto3 = {traced: statistics.median(run[0] for run in runs["import boto3", tree, traced]) for traced in (1, 0)}
        print()
        print(f"{tree}:")
        print()
        print("| handler | deployed: import (ms) | / boto3 | + wiring | + all models built | tracing off | / boto3 |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for row in rows:
            deployed, untraced = runs[row.name, tree, True], runs[row.name, tree, False]
            imported, wired, built = (statistics.median(run[column] for run in deployed) for column in range(3))
            untraced_import = statistics.median(run[0] for run in untraced)
            cells = [
                f"{imported:.0f}",
                f"{imported / boto3[True]:.2f}",
                f"{wired:.0f}" if row.environment else "",
                f"{built:.0f}" if row.environment else "",
                f"{untraced_import:.0f}",
                f"{untraced_import / boto3[False]:.2f}",
            ]
            print(f"| {row.name} | {' | '.join(cells)} |")


def why(handler: str, *, traced: bool) -> None:
    """What the handler's import spends, from `-X importtime` in the same Lambda-like child."""
    [target] = [target for target in targets() if target.name == handler]
    stderr = child_run(target, ROOT, absent_in_lambda(), traced=traced, flags=("-X", "importtime"))
    lines = [line.split("|") for line in stderr.splitlines() if line.startswith("import time:")]
    timed = [(int(cumulative), name.rstrip()) for _, cumulative, name in lines[1:]]
    for cumulative, name in sorted(timed, reverse=True)[:40]:
        print(f"{cumulative / 1000:8.1f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rounds", nargs="?", type=int, default=7)
    parser.add_argument("--before", type=Path, help="a checkout to measure in the same rounds, e.g. main's")
    parser.add_argument("--why", metavar="HANDLER", help="a function folder's name, e.g. stock_worker")
    parser.add_argument("--tracing-off", action="store_true", help="with --why: as tests run the handler")
    arguments = parser.parse_args()
    if arguments.why:
        why(arguments.why, traced=not arguments.tracing_off)
    else:
        trees = {"before": arguments.before.resolve()} if arguments.before else {}
        table(arguments.rounds, {**trees, "this tree": ROOT})


if __name__ == "__main__":
    main()
