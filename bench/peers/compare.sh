#!/usr/bin/env bash
# The side-by-side run of issue 15: rewardbatch, a plain Python thread pool
# (pool.py) and an `xargs -P` curl loop (curl.sh) post the same generated
# rows to one `rewardbatch sandbox --plain` on loopback, one after the
# other, and a Markdown table of what each achieved goes to stdout.
#
#   bench/peers/compare.sh REWARDBATCH_BINARY WORKDIR
#
# Environment: PEER_ROWS (rows for rewardbatch and Python, default 20000),
# CURL_ROWS (rows for curl, which starts a process per row; default 2000),
# PEER_WORKERS (concurrency of every tool, default 64). Each tool gets its
# own reference prefix (the sandbox refuses a repeated reference); the
# people and amounts are the same (one seed), so the tools after the first
# credit cards the first one created. Every figure is the tool's wall time
# from process start to exit, the sandbox's own count of credits applied
# during it, the tool's CPU time and the sandbox's.
set -euo pipefail

bin=$1 work=$2
rows=${PEER_ROWS:-20000} curl_rows=${CURL_ROWS:-2000} workers=${PEER_WORKERS:-64}
here=$(cd "$(dirname "$0")" && pwd)
tick=$(getconf CLK_TCK)

# --page-size 1000: lists paged as a real server pages them (rewardbatch's
# user listing needs pages to prove itself whole; the peers list nothing)
"$bin" sandbox --plain --addr 127.0.0.1:0 --balance 999999999999 --page-size 1000 --log-level error >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true; wait "$sandbox" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	grep -q ENKASH_ENCRYPT "$work/sandbox.out" 2>/dev/null && break
	kill -0 "$sandbox" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
	sleep 0.1
done
eval "$(grep '^  export ENKASH_' "$work/sandbox.out")"

applied() { curl -s "$ENKASH_BASE_URL/__sandbox/stats" | sed -n 's/.*"applied":\([0-9]*\).*/\1/p'; }
sandbox_cpu() { awk -v t="$tick" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$sandbox/stat"; }

echo "| tool | what it does per row | rows | wall s | rows/s | applied | client CPU s | sandbox CPU s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"

# measure LABEL WHAT ROWS COMMAND...: runs the command and prints its row.
measure() {
	local label=$1 what=$2 n=$3
	shift 3
	local a0 s0 t0 t1 cpu
	a0=$(applied) s0=$(sandbox_cpu) t0=$(date +%s.%N)
	TIMEFORMAT='%U %S'
	{ time "$@" >>"$work/peers.log" 2>&1; } 2>"$work/time" || echo "$label exited $?" >>"$work/peers.log"
	t1=$(date +%s.%N)
	cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/time")
	awk -v l="$label" -v w="$what" -v n="$n" -v t0="$t0" -v t1="$t1" -v a0="$a0" -v a1="$(applied)" \
		-v c="$cpu" -v s0="$s0" -v s1="$(sandbox_cpu)" 'BEGIN {
		d = a1 - a0; secs = t1 - t0
		printf "| %s | %s | %d | %.2f | %.0f | %d | %s | %.2f |\n", l, w, n, secs, d / secs, d, c, s1 - s0 }'
}

gen() { "$bin" generate --rows "$2" --seed 1 --batch "$1" --out "$work/$1.csv"; }
gen RA "$rows"
gen RN "$rows"
gen PY "$rows"
gen CU "$curl_rows"

run=("$bin" run --no-progress --log-level error --workers "$workers" --rate 1000000 --state "$work/ledger.db" --reports-dir "$work/reports")
measure "rewardbatch run" "check before the first send (new ledger: one user listing, a lookup per listed person), send, ledger, reports" "$rows" \
	"${run[@]}" "$work/RA.csv"
measure "rewardbatch run --no-remote-check" "send, ledger, reports" "$rows" \
	"${run[@]}" --no-remote-check "$work/RN.csv"
if command -v python3 >/dev/null; then
	measure "Python thread pool (pool.py)" "send" "$rows" python3 "$here/pool.py" --workers "$workers" "$work/PY.csv"
else
	echo "| Python thread pool (pool.py) | not run: no python3 on PATH | | | | | | |"
fi
measure "xargs -P curl (curl.sh)" "send (a curl process per row)" "$curl_rows" sh "$here/curl.sh" -P "$workers" "$work/CU.csv"
