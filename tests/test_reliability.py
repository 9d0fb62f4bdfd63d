"""Interrupted writes: a build or a batch run stopped by SIGINT or SIGTERM loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from .conftest import EXOREASON, ONTOLOGY

OUTPUTS = ("exoreason.owl", "exoreason.ttl", "exoreason-network.json")


def _changed_copy(tmp_path):
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    claims = copy / "templates" / "claims-exosomes.tsv"
    header = claims.read_text().splitlines()[0]
    (copy / "templates" / "claims-extra.tsv").write_text(
        header + "\n" + "\t".join(["EXTRA-1", "miRBase:MIMAT0000646", "exo:promotes", "exo:Metastasis", "",
                                   "Section: test", "", "", "ECO:0000304", "q", ""]) + "\n")
    return copy


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_all_old_or_all_new_outputs(tmp_path, signum):
    copy = _changed_copy(tmp_path)
    old = {name: (copy / name).read_bytes() for name in OUTPUTS}
    env = {**os.environ, "EXOREASON_ONTOLOGY_DIR": str(copy)}
    # A full build takes about a second: stop it at several points along the way.
    outcomes = set()
    # From 0.8 s on, the command has loaded (Ctrl-C while Python itself starts is out of its hands).
    for delay in (0.8, 1.0, 1.2, 1.4, 1.7, 2.5):
        for name, data in old.items():
            (copy / name).write_bytes(data)
        process = subprocess.Popen([EXOREASON, "build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        now = {name: (copy / name).read_bytes() for name in OUTPUTS}
        same = [now[name] == old[name] for name in OUTPUTS]
        assert all(same) or not any(same), (delay, same)
        outcomes.add("old" if all(same) else "new")
        leftovers = [p.name for p in copy.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == [], leftovers
    assert "old" in outcomes  # at least one run was really interrupted


def test_interrupted_batch_run_leaves_no_output(tmp_path):
    profiles = tmp_path / "profiles.csv"
    with profiles.open("w") as handle:
        handle.write("id,miR-155,miR-21\n")
        handle.writelines(f"s{i},{'true' if i % 2 else 'false'},{'' if i % 3 else 'true'}\n" for i in range(400_000))
    out = tmp_path / "out.csv"
    process = subprocess.Popen([EXOREASON, "infer", "--profiles", str(profiles), "--output", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3.0)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert process.returncode == 130
    assert b"Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles.csv"]
