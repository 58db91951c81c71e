#!/bin/sh
# cli_write_faults.sh BOLTZBENCH SHIM — the run-state writer and the dataset cache writer as
# the command line drives them, under write faults from the LD_PRELOAD shim (tests/fuzz/
# faultfs.h: BB_FAULT=fsize:N | fsync:GLOB | rename:GLOB). Library-level cases of every
# writer, and `boltzbench run --out`, are in tests/fuzz/test_write_faults.c; this adds
#   - `boltzbench run ... --checkpoint-steps 1 --keep-state`: the state file <out>.state
#     written after every step, failing at its first save (file-size limit of 3000 bytes,
#     a failing fsync of its temporary file, a failing rename onto it);
#   - `boltzbench fetch ID` from a file:// URL into $BOLTZBENCH_CACHE over a corrupt cached
#     copy: the download cut at half its size, and the final rename failing.
# After each fault: exit status 1, one stderr line "boltzbench: ..." naming the path, the
# previous state and report byte-identical (for the fetch: the corrupt copy kept
# byte-identical as <file>.corrupt, nothing at the final path, a .part that is a prefix of
# the right bytes), no temporary file left; with the fault gone the same command succeeds.
# Not registered in the sanitizer build: a preloaded library would precede the ASan runtime.
set -u
BB=$1
SHIM=$2
D=$(mktemp -d "${TMPDIR:-/tmp}/bb_cli_write_faults.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
cd "$D" || exit 1
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# check_error CASE EXPECTED_STATUS STATUS PATH: one line, prefixed, naming PATH
check_error() {
    [ "$3" -eq "$2" ] || fail "$1: exit status $3, expected $2"
    [ "$(wc -l <err)" -eq 1 ] || fail "$1: stderr is not one line: $(cat err)"
    grep -q "^boltzbench: " err || fail "$1: stderr not prefixed: $(cat err)"
    grep -qF "$4" err || fail "$1: stderr does not name $4: $(cat err)"
    echo "$1 -> exit $3: $(cat err)"
}

no_temp() {
    left=$(find "$D" -name '*.tmp.*')
    [ -z "$left" ] || fail "$1: temporary files left: $left"
}

# --- the run state ----------------------------------------------------------------------
RUN="run --task gmm40 --method mala --budget 4000 --samples 100 --checkpoint-steps 1 --keep-state --out X.json"
"$BB" $RUN --seed 1 >/dev/null 2>err || fail "first run: $(cat err)"
[ -s X.json.state ] || fail "first run: no X.json.state kept"
cp X.json prev.json
cp X.json.state prev.state
for f in 'fsize:3000' 'fsync:*X.json.state.tmp.*' 'rename:*X.json.state'; do
    LD_PRELOAD=$SHIM BB_FAULT=$f "$BB" $RUN --seed 2 >/dev/null 2>err
    check_error "state $f" 1 $? X.json.state
    cmp -s X.json.state prev.state || fail "state $f: the previous state changed"
    cmp -s X.json prev.json || fail "state $f: the previous report changed"
    no_temp "state $f"
done
"$BB" $RUN --seed 2 >/dev/null 2>err || fail "run without a fault: $(cat err)"
cmp -s X.json.state prev.state && fail "run without a fault: the state was not replaced"
no_temp "state, no fault"

# --- the dataset cache ------------------------------------------------------------------
head -c 200000 /dev/urandom >src.bin
SHA=$(sha256sum src.bin | cut -d' ' -f1)
printf '{"schema":"boltzbench.manifest/1","datasets":[{"id":"toy","version":1,"file":"t.bin","urls":["file://%s/src.bin"],"sha256":"%s","bytes":200000,"format":"files","task":"dw4"}]}\n' \
    "$D" "$SHA" >m.json
export BOLTZBENCH_CACHE="$D/cache"
T="$D/cache/toy@1/t.bin"
for f in 'fsize:100000' 'rename:*/t.bin'; do
    rm -rf cache
    mkdir -p cache/toy@1
    echo "previous, corrupt bytes" >"$T"
    cp "$T" prev.bin
    LD_PRELOAD=$SHIM BB_FAULT=$f "$BB" fetch -q --manifest m.json toy >/dev/null 2>err
    check_error "fetch $f" 1 $? "$T"
    [ -e "$T" ] && fail "fetch $f: a file at the final path"
    cmp -s "$T.corrupt" prev.bin || fail "fetch $f: the previous file was not kept as .corrupt"
    if [ -e "$T.part" ]; then
        cmp -s -n "$(wc -c <"$T.part")" "$T.part" src.bin || fail "fetch $f: .part is not a prefix"
    fi
    no_temp "fetch $f"
    "$BB" fetch -q --manifest m.json toy >/dev/null 2>err || fail "fetch $f, then no fault: $(cat err)"
    cmp -s "$T" src.bin || fail "fetch $f, then no fault: wrong bytes"
    [ -e "$T.part" ] && fail "fetch $f, then no fault: .part left"
done

[ "$fails" -eq 0 ] || exit 1
echo "cli_write_faults: all cases passed"
