#!/usr/bin/env python3
"""test_suite_scale.py — a suite run over MPI ranks or as a Slurm array job writes the reports a
plain `boltzbench suite` writes, byte for byte apart from the volatile `timing` and `host`
blocks (docs/scaling.md).

  test_suite_scale.py slurm BOLTZBENCH           (ctest test_suite_slurm, label integration)
  test_suite_scale.py mpi BOLTZBENCH MPIEXEC     (ctest test_suite_mpi, label mpi)

slurm: --slurm writes the scripts; submit.sh runs under a fake `sbatch` on PATH that logs its
arguments and runs each array index locally (SLURM_ARRAY_TASK_ID), leaving one index out the
first time (a task that never ran); the collect job then records that run as failed and
exits 1; running the missing index and collecting again completes the suite.
mpi: `mpiexec -np 3 --oversubscribe` on a suite with two failing runs besides the good ones:
one whose configuration bb_run refuses, one that cannot finish within --run-time-limit and
is killed by a signal; both become failed reports with their error, the others finish, the
longest expected run is dispatched first, and a second invocation skips the finished runs.
The plain suite runs on 2 threads, the MPI workers on 1 (their share of 2 cores): equal
reports also check that a run's report does not depend on its thread count.
Exit 0 on success, 1 with a message on the first failure.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

GOOD = {"tasks": ["dw4"], "methods": ["mala", "pt"], "budgets": [3000], "seeds": [0, 1],
        "metrics": ["energy_w2", "energy_w1"], "params": {"mala": {"n_chains": 10}}}
BAD = {"tasks": ["dw4"], "methods": ["mala"], "budgets": [3000], "seeds": [7],
       "params": {"mala": {"n_chains": 0}}}  # refused: n_chains is in [1, 100000]
LONG = {"tasks": ["dw4"], "methods": ["pt"], "budgets": [1e12], "seeds": [0], "metrics": ["energy_w2"]}
RUNS = ["dw4/mala-b3000-s0.json", "dw4/mala-b3000-s1.json", "dw4/pt-b3000-s0.json", "dw4/pt-b3000-s1.json"]

FAKE_SBATCH = r"""#!/bin/bash
# fake sbatch: log the arguments, run the script here (each array index in turn, except
# $FAKE_SBATCH_SKIP), print a job id as --parsable does
set -u
echo "$*" >> "$FAKE_SBATCH_LOG"
script="${@: -1}"
jid=$(( $(wc -l < "$FAKE_SBATCH_LOG") + 100 ))
range=$(sed -n 's/^#SBATCH --array=//p' "$script")
cpus=$(sed -n 's/^#SBATCH --cpus-per-task=//p' "$script")
if [ -n "$range" ]; then
  for i in $(seq "${range%-*}" "${range#*-}"); do
    [ "$i" = "${FAKE_SBATCH_SKIP:-}" ] && continue
    SLURM_ARRAY_JOB_ID=$jid SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=$cpus bash "$script" \
      > "$FAKE_SBATCH_OUT/${jid}_$i.out" 2>&1 || echo "array task $i failed" >&2
  done
else
  SLURM_JOB_ID=$jid bash "$script" > "$FAKE_SBATCH_OUT/$jid.out" 2>&1 || echo "job $jid failed" >&2
fi
echo "$jid"
"""


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd, env=None, expect=None):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    print("$ " + " ".join(cmd) + f"  -> {p.returncode}\n" + p.stdout)
    if expect is not None and p.returncode != expect:
        fail(f"{cmd[0]}: exit status {p.returncode}, expected {expect}")
    return p


def stable(path):
    """The report's text without the top-level timing and host blocks (one key per line)."""
    text = open(path).read()
    return re.sub(r'\n\t"(timing|host)":\t\{.*?\n\t\}', "", text, flags=re.S)


def same_reports(a, b):
    for r in RUNS:
        x, y = stable(os.path.join(a, r)), stable(os.path.join(b, r))
        if '"timing"' in x or '"host"' in x:
            fail(f"{r}: the volatile blocks were not cut out")
        if x != y:
            fail(f"{r}: the reports in {a} and {b} differ beyond timing and host")
    print(f"{len(RUNS)} reports identical apart from timing and host: {a} vs {b}")


def write_suite(tmp, name, groups):
    path = os.path.join(tmp, name + ".json")
    json.dump({"name": name, "n_samples": 100, "runs": groups}, open(path, "w"))
    return path


def test_slurm(bb, tmp):
    suite = write_suite(tmp, "tiny", [GOOD])
    env = dict(os.environ, OMP_NUM_THREADS="2")
    run([bb, "suite", suite, "--out", "plain", "--quiet"], env, 0)
    run([bb, "sweep", suite, "--out", "slurm", "--slurm", "--partition", "debug", "--time", "0:10:00",
         "--cpus-per-task", "2"], env, 0)
    d = os.path.join(tmp, "slurm", "slurm")
    idx = open(os.path.join(d, "runs.idx")).read().splitlines()
    if len(idx) != 4 or sorted(int(line.split("\t")[0]) for line in idx) != [0, 1, 2, 3]:
        fail(f"runs.idx: expected the 4 runs, got {idx}")
    array = open(os.path.join(d, "array.sbatch")).read()
    for want in ("#SBATCH --array=0-3", "#SBATCH --partition=debug", "#SBATCH --time=0:10:00",
                 "#SBATCH --cpus-per-task=2"):
        if want not in array:
            fail(f"array.sbatch: no line {want!r}")
    for f in ("array.sbatch", "collect.sbatch", "submit.sh"):
        run(["bash", "-n", os.path.join(d, f)], None, 0)
    fake = os.path.join(tmp, "bin")
    os.makedirs(fake)
    with open(os.path.join(fake, "sbatch"), "w") as f:
        f.write(FAKE_SBATCH)
    os.chmod(os.path.join(fake, "sbatch"), stat.S_IRWXU)
    os.makedirs(os.path.join(tmp, "sbatch-out"))
    log = os.path.join(tmp, "sbatch.log")
    senv = dict(env, PATH=fake + ":" + env["PATH"], FAKE_SBATCH_LOG=log, FAKE_SBATCH_OUT=os.path.join(tmp, "sbatch-out"),
                FAKE_SBATCH_SKIP="2")
    run(["bash", os.path.join(d, "submit.sh")], senv, 0)
    calls = open(log).read().splitlines()
    if len(calls) != 2 or not calls[0].endswith("array.sbatch") or \
            not re.match(r"--parsable --dependency=afterany:101 .*collect\.sbatch$", calls[1]):
        fail(f"sbatch calls: {calls}")
    collect_out = open(os.path.join(tmp, "sbatch-out", "102.out")).read()
    print(collect_out)
    skipped = idx[2].split("\t")[1]  # the report of the array task left out
    rep = json.load(open(os.path.join(tmp, skipped)))
    if rep["status"] != "failed" or not rep["error"].startswith("no report: its Slurm array task did not finish"):
        fail(f"{skipped}: the collect step did not record the missing run as failed: {rep.get('error')}")
    if "1 run(s) failed" not in collect_out:
        fail("collect: expected it to report the one unfinished run")
    # the missing array task, then collect again: complete
    run(["bash", os.path.join(d, "array.sbatch")], dict(env, SLURM_ARRAY_TASK_ID="2"), 0)
    run(["bash", os.path.join(d, "collect.sbatch")], env, 0)
    same_reports(os.path.join(tmp, "plain"), os.path.join(tmp, "slurm"))
    # everything finished: nothing left to submit
    p = run([bb, "suite", suite, "--out", "slurm", "--slurm"], env, 0)
    if "nothing to submit" not in p.stdout:
        fail("--slurm on a finished suite: expected 'nothing to submit'")


def test_mpi(bb, mpiexec, tmp):
    env = dict(os.environ, OMP_NUM_THREADS="2", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    plain = write_suite(tmp, "tiny", [GOOD])
    run([bb, "suite", plain, "--out", "plain", "--quiet"], env, 0)
    # the time limit: far above what the good runs took here (the sanitized build is slower),
    # far below what 1e12 evaluations take
    slowest = max(json.load(open(os.path.join(tmp, "plain", r)))["timing"]["wall_s"] for r in RUNS)
    limit = int(5 * slowest) + 5
    suite = write_suite(tmp, "tiny-mpi", [GOOD, BAD, LONG])
    cmd = [mpiexec, "--oversubscribe", "-np", "3", bb, "sweep", suite, "--mpi", "--out", "mpi",
           "--run-time-limit", str(limit)]
    p = run(cmd, env)
    if p.returncode == 0:
        fail("two runs failed: expected a non-zero exit status")
    if not re.search(r"^\[1/6\] dw4 pt budget 1000000000000 seed 0 -> rank [12]$", p.stdout, re.M):
        fail("the longest expected run (the largest budget) was not dispatched first")
    if "2 worker rank(s), 1 thread(s) per run" not in p.stdout:
        fail("expected each of the 2 workers to get 1 thread (its share of 2 cores)")
    bad = json.load(open(os.path.join(tmp, "mpi/dw4/mala-b3000-s7.json")))
    if bad["status"] != "failed" or "n_chains" not in bad["error"]:
        fail(f"the refused run: {bad.get('status')} {bad.get('error')}")
    long = json.load(open(os.path.join(tmp, "mpi/dw4/pt-b1000000000000-s0.json")))
    if long["status"] != "failed" or long["error"] != f"run exceeded the run time limit of {limit} s":
        fail(f"the killed run: {long.get('status')} {long.get('error')}")
    same_reports(os.path.join(tmp, "plain"), os.path.join(tmp, "mpi"))
    # rerun: the four finished runs are skipped, the two failed ones run again
    p = run(cmd, env)
    if p.stdout.count("done before, skipped") != 4 or "[2/2]" not in p.stdout:
        fail("the second invocation should skip the 4 finished runs and run the 2 failed ones")
    same_reports(os.path.join(tmp, "plain"), os.path.join(tmp, "mpi"))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("slurm", "mpi") or (sys.argv[1] == "mpi" and len(sys.argv) < 4):
        print(__doc__)
        return 2
    bb = os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="bb_test_suite_scale_")
    os.chdir(tmp)
    os.environ["BOLTZBENCH_CACHE"] = os.path.join(tmp, "cache")  # committed reference sets only
    os.environ["BOLTZBENCH_OFFLINE"] = "1"
    try:
        if sys.argv[1] == "slurm":
            test_slurm(bb, tmp)
        else:
            test_mpi(bb, sys.argv[3], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
