#!/usr/bin/env python3
"""test_build_stamp.py — the build-time git stamp (harness/report/build_stamp.cmake).

Usage: test_build_stamp.py CMAKE SOURCE_DIR GENERATED_STAMP_C BOLTZBENCH

In a scratch git repository, the stamp script gives HEAD's hash for a clean tree,
"<hash>-dirty" when a tracked file is modified (staged or not), no flag for untracked
files, a new hash after a commit, "unknown" outside a checkout; and it leaves the
generated file untouched (same mtime) when the value did not change, so builds stay
incremental. Then, for the real build: `boltzbench version` prints the value of the
generated file, whose hash is a commit of the source repository. Exit 77 (skip) without git.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run(*cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def stamp(cmake, script, src, out):
    run(cmake, f"-DSOURCE_DIR={src}", f"-DOUT={out}", "-P", script)
    m = re.search(r'return "([^"]*)";', open(out).read())
    assert m, f"{out}: no value"
    return m.group(1)


def check(what, got, want):
    print(f"{what}: {got}")
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")


def main():
    cmake, src, gen, prog = sys.argv[1:5]
    if shutil.which("git") is None:
        print("no git: skipped")
        return 77
    script = os.path.join(src, "harness", "report", "build_stamp.cmake")
    with tempfile.TemporaryDirectory(prefix="bb_stamp") as d:
        repo, out = os.path.join(d, "repo"), os.path.join(d, "out", "stamp.c")
        os.makedirs(repo)
        os.makedirs(os.path.dirname(out))
        git = lambda *a: run("git", "-c", "user.name=t", "-c", "user.email=t@t", *a, cwd=repo)
        git("init", "-q")
        with open(os.path.join(repo, "a.txt"), "w") as f:
            f.write("one\n")
        git("add", "a.txt")
        git("commit", "-q", "-m", "first")
        head = git("rev-parse", "HEAD")
        check("clean tree", stamp(cmake, script, repo, out), head)

        os.utime(out, (1_000_000_000, 1_000_000_000))
        check("same value again", stamp(cmake, script, repo, out), head)
        check("file left alone (mtime)", int(os.stat(out).st_mtime), 1_000_000_000)

        with open(os.path.join(repo, "new.txt"), "w") as f:
            f.write("untracked\n")
        check("untracked file only", stamp(cmake, script, repo, out), head)

        with open(os.path.join(repo, "a.txt"), "a") as f:
            f.write("two\n")
        check("modified tracked file", stamp(cmake, script, repo, out), head + "-dirty")
        check("rewritten when the value changes", int(os.stat(out).st_mtime) != 1_000_000_000, True)
        git("add", "a.txt")
        check("staged change", stamp(cmake, script, repo, out), head + "-dirty")

        git("commit", "-q", "-m", "second")
        head2 = git("rev-parse", "HEAD")
        check("after the commit", stamp(cmake, script, repo, out), head2)
        check("a new commit differs", head2 != head, True)

        plain = os.path.join(d, "plain")
        os.makedirs(plain)
        os.environ["GIT_CEILING_DIRECTORIES"] = d  # even if the scratch folder sits inside a repository
        check("outside a checkout", stamp(cmake, script, plain, out), "unknown")

    # the real build: the program prints what was stamped, and that names a commit here
    built = re.search(r'return "([^"]*)";', open(gen).read()).group(1)
    version = run(prog, "version")
    m = re.search(r"^git commit (\S+)$", version, re.M)
    check("boltzbench version", m.group(1) if m else None, built)
    if built != "unknown":
        commit = built.split("-")[0]
        check("stamp is a commit of the source tree", bool(re.fullmatch(r"[0-9a-f]{40}", commit)), True)
        run("git", "cat-file", "-e", commit + "^{commit}", cwd=src)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
