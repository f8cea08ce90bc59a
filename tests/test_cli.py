"""The saeprobe command as a user runs it: output formats, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.activations.store import ActivationStore
from benchmark.cli.main import build_parser, main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


ROOT = Path(__file__).parent.parent


def test_datasets_ls_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "datasets", "ls", "--suite", "demo", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 16
    for row in rows:
        assert {"id", "n_rows", "n_rows_clean", "ood"} <= set(row)
    assert sum(row["ood"] for row in rows) == 4


def test_datasets_ls_table_reports_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "datasets", "ls")
    assert code == 0
    assert "113 datasets, 8 with OOD test sets; 334092 rows -> 276337 after cleaning" in out


def test_datasets_show_verifies_the_hash(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "datasets", "show", "90_glue_qnli", "--json")
    payload = json.loads(out)
    assert code == 0
    assert payload["verified_content_hash"] == payload["content_hash"]
    assert payload["ood_test_set"]["labels"] == {"1": 0, "not_entailment": 1}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["datasets", "show", "nope_dataset"], "unknown dataset"),
        (["datasets", "ls", "--suite", "nope"], "unknown suite"),
        (["datasets", "show", "5_hist_fig_ismale", "--source", "hub"], "needs --hub-repo"),
        (["activations", "extract", "--model", "/no/such/dir", "--suite", "demo"], "--hook"),
        (["activations", "extract", "--hook", "blocks.a.hook_resid_post"], "unsupported hook"),
        (["activations", "extract", "--protocol", "v9"], "unknown protocol"),
        (["protocols", "show", "BAD_PROTOCOL"], "description: Field required"),
        (["baselines", "run", "--workers", "0", "--regimes", "normal"], "--workers must be"),
        (["baselines", "run", "--baselines", "logistic", "--dataset", "nope_1"], "unknown dataset"),
        (["eval", "./no/such/sae"], "no/such/sae: no such SAE folder"),
        (["eval", "no-such-id"], "no such manifest"),
        (["datasets", "export", "NON_EMPTY", "--suite", "demo"], "exists and is not empty"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    places = {"BAD_PROTOCOL": str(bad), "NON_EMPTY": str(tmp_path / "full")}
    code, _, err = run(capsys, *[places.get(arg, arg) for arg in argv])
    assert code != 0
    lines = [line for line in err.replace("\r", "\n").splitlines() if "error" in line]
    assert len(lines) == 1 and lines[0].startswith("saeprobe: error:") and message in lines[0]


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only user errors (SaeprobeError) become one line; anything else propagates."""
    import benchmark.workflows.protocols as protocols

    def broken() -> list[dict[str, str]]:
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(protocols, "list_protocols", broken)
    with pytest.raises(ValueError, match="a bug"):
        main(["protocols", "ls"])


def test_a_closed_output_pipe_ends_quietly() -> None:
    """`saeprobe protocols show v3 | head -1`: the reader has gone when the command writes; it
    exits as a SIGPIPE'd process would, with no traceback (a BrokenPipeError before)."""
    read, write = os.pipe()
    os.close(read)
    done = subprocess.run(
        [sys.executable, "-m", "benchmark.cli.main", "protocols", "show", "v3"],
        stdout=write, stderr=subprocess.PIPE, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    os.close(write)
    assert done.returncode == 141
    assert done.stderr == ""


def test_every_subcommand_help_has_examples() -> None:
    parser = build_parser()
    assert "examples:" in parser.format_help()
    groups = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for group in groups.values():
        commands = (
            group._subparsers._group_actions[0].choices.values() if group._subparsers else [group]
        )
        for command in commands:
            assert "examples:" in command.format_help(), command.prog


def test_export_then_show_from_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mirror"
    code, _, _ = run(capsys, "datasets", "export", str(out), "--suite", "demo")
    assert code == 0 and len(list((out / "data").glob("*.parquet"))) == 16
    code, text, _ = run(
        capsys, "datasets", "show", "66_living-room", "--source", "hub", "--hub-repo", str(out)
    )
    assert code == 0 and "verified_content_hash" in text


def test_extract_on_a_local_model_folder(
    tiny_model_dir: Path, capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    argv = [
        "activations", "extract", "--model", str(tiny_model_dir), "--hook",
        "blocks.2.hook_resid_post", "--suite", "demo", "--dataset", "117_us_state_FL",
        "--dtype", "fp32", "--no-progress", "--json",
    ]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    report = json.loads(out)
    assert code == 0 and report["datasets"] == 1 and report["prompts_computed"] == 841
    again = json.loads(run(capsys, *argv)[1])
    assert again["prompts_computed"] == 0 and again["datasets_cached"] == 1
    arrays = list((ActivationStore().root / report["space"] / "datasets").glob("*.npy"))
    assert len(arrays) == 1 and np.load(arrays[0]).shape == (841, 32)


def test_protocols_ls_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "protocols", "ls", "--json")
    listed = {row["name"]: row["hash"] for row in json.loads(out)}
    assert code == 0 and set(listed) == {"v1", "v2", "v3", "paper"}
    assert len(set(listed.values())) == 4
    code, out, _ = run(capsys, "protocols", "show", "paper", "--json")
    shown = json.loads(out)
    assert shown["hash"] == listed["paper"] and shown["clean"] is False
    assert shown["regimes"]["scarcity"]["train_sizes"][-1] == 1024


def test_results_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmark.results.schema import SCHEMA_PATH

    code, out, _ = run(capsys, "results", "schema")
    assert code == 0 and json.loads(out)["title"] == "ResultRecord"
    assert out == SCHEMA_PATH.read_text()
