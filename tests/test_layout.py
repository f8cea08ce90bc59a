"""The shape of the house: the command line starts without the heavy libraries, and only
``benchmark/cli/`` parses arguments."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "benchmark"
HEAVY = ("torch", "transformers", "sae_lens", "sklearn", "xgboost", "datasets")


def imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["datasets", "ls", "--suite", "demo"], ["protocols", "ls"]],
)
def test_light_commands_import_no_heavy_library(argv: list[str]) -> None:
    code = (
        "import contextlib, io\nfrom benchmark.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({argv!r})"
    )
    loaded = imported_after(code)
    assert not [name for name in HEAVY if name in loaded], argv


def test_the_parser_module_imports_no_torch() -> None:
    assert "torch" not in imported_after("import benchmark.cli.main")


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_the_cli_parses_arguments() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "cli" not in path.relative_to(PACKAGE).parts
        and {"argparse", "benchmark.cli"} & {m.split(".cli.")[0] for m in imports_of(path)}
    ]
    assert offenders == []


def test_run_imports_point_down() -> None:
    """context <- jobs <- executor <- arms, and cells <- arms: no module imports one above."""
    order = ["workers", "context", "jobs", "executor", "cells", "arms"]
    for index, name in enumerate(order):
        imported = imports_of(PACKAGE / "run" / f"{name}.py")
        above = {f"benchmark.run.{other}" for other in order[index + 1 :]}
        assert not imported & above, name


FORBIDDEN = {  # a package never imports these: each would climb back up the data flow
    "activations": {"probes", "saes", "run", "workflows", "cli"},
    "probes": {"activations", "saes", "run", "workflows", "cli"},
    "saes": {"submissions", "run", "workflows", "cli"},
    "results": {"run", "workflows", "leaderboard", "cli"},
    "submissions": {"run", "workflows", "cli"},
    "run": {"submissions", "workflows", "cli"},
    "leaderboard": {"run", "workflows", "cli"},
    "workflows": {"cli"},
}


def test_packages_import_only_downstream_of_the_data_flow() -> None:
    climbs = [
        f"{path.relative_to(PACKAGE)} -> {module}"
        for path in PACKAGE.rglob("*.py")
        for module in imports_of(path)
        if module.startswith("benchmark.")
        and module.split(".")[1] in FORBIDDEN.get(path.relative_to(PACKAGE).parts[0], set())
    ]
    assert climbs == []


def test_the_submission_workflow_runs_commands_the_cli_accepts() -> None:
    """The pull-request workflow's saeprobe commands parse (an id stands in for ``"$id"``)."""
    import shlex

    import yaml

    from benchmark.cli.main import build_parser

    workflow = Path(__file__).parents[1] / ".github" / "workflows" / "submission.yml"
    steps = yaml.safe_load(workflow.read_text())["jobs"]["check"]["steps"]
    lines = [
        line.strip()
        for step in steps
        for line in str(step.get("run", "")).splitlines()
        if line.strip().startswith(".venv/bin/saeprobe ")
    ]
    assert [shlex.split(line)[1] for line in lines] == ["validate", "verify"]
    for line in lines:
        argv = shlex.split(line.replace('"$id"', "my-sae"))[1:]
        args = build_parser().parse_args(argv)
        assert args.id == "my-sae" and args.no_progress
