#!/usr/bin/env bash
# bench/run.sh, run by `make bench`: every package's benchmarks, one package
# at a time; a CPU profile of the end-to-end run; the side-by-side run of
# rewardbatch and its peers (bench/peers/compare.sh); then it writes
# docs/performance.md with the machine, the date and every figure.
#
# Environment:
#   BENCH_FULL=1     also run the slow benchmarks (the 3,000,000-row CSV and the
#                    1,000,000-row .xlsx validations: several minutes each)
#   BENCH_FILTER=RE  only the benchmarks matching RE (go test -bench RE)
#   BENCH_PKGS="./pkg/a ./pkg/b"  only these packages
#   BENCHTIME=D      one -benchtime for every package (default: per package)
#   PROFILE=0|1      the CPU profile of the end-to-end run (default: 1 unless
#                    BENCH_FILTER or BENCH_PKGS narrow the run)
#   PEERS=0|1        the side-by-side run, the same default; PEER_ROWS,
#                    CURL_ROWS and PEER_WORKERS size it
#   OUT=FILE         where the report goes (default docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
OUT=${OUT:-docs/performance.md}
FILTER=${BENCH_FILTER:-.}
HEAVY='ValidateThreeMillionRows|WorkbookMillionRows'
SKIP=$HEAVY
[ "${BENCH_FULL:-0}" = 1 ] && SKIP='^$'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# benchtime is a package's default -benchtime: fixed iteration counts for
# the benchmarks that size their own work, time for the micro-benchmarks.
benchtime() {
	if [ -n "${BENCHTIME:-}" ]; then echo "$BENCHTIME"; return; fi
	case $1 in
	./pkg/allocfile | ./pkg/enkash | ./pkg/money) echo 1s ;;
	./pkg/adaptive | ./pkg/cli) echo 1x ;;
	*) echo 3x ;;
	esac
}

packages() {
	if [ -n "${BENCH_PKGS:-}" ]; then printf '%s\n' $BENCH_PKGS; return; fi
	grep -rl --include='*_test.go' '^func Benchmark' pkg cmd | xargs -n1 dirname | sort -u | sed 's|^|./|'
}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*load average[s]*: //'; }

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git describe --always --dirty 2>/dev/null || echo unknown) # before the report rewrites OUT
load_before=$(load)
t0=$(date +%s)

: >"$work/bench.txt"
for p in $(packages); do
	bt=$(benchtime "$p")
	echo "== $p (-benchtime $bt)" | tee -a "$work/log.txt"
	set +e
	$GO test -p 1 -run '^$' -bench "$FILTER" -skip "$SKIP" -benchmem -benchtime "$bt" -timeout 60m "$p" 2>&1 |
		tee -a "$work/log.txt" | tee "$work/pkg.txt"
	rc=${PIPESTATUS[0]}
	set -e
	awk -v p="${p#./}" -v bt="$bt" -v rc="$rc" '
		/^Benchmark/ { printf "%s\t%s", p, bt; for (i = 1; i <= NF; i++) printf "\t%s", $i; print ""; n++ }
		/^--- (SKIP|FAIL)/ { printf "%s\t%s\t%s\t%s\n", p, bt, $3, $2; n++ }
		END { if (rc != 0) printf "%s\t%s\tpackage\tFAILED (exit %d)\n", p, bt, rc }' "$work/pkg.txt" >>"$work/bench.txt"
done

# The profile and the side-by-side run belong to a whole run, unless asked for.
extras=1
[ -z "${BENCH_PKGS:-}" ] && [ "$FILTER" = . ] || extras=0
if [ "${PROFILE:-$extras}" = 1 ]; then
	# Three iterations of the short variant, for enough samples.
	for v in remote-check:1x no-remote-check:3x; do
		bt=${v#*:} v=${v%:*}
		echo "== CPU profile of BenchmarkRunEndToEnd/$v (-benchtime $bt)" | tee -a "$work/log.txt"
		$GO test -p 1 -run '^$' -bench "RunEndToEnd/^$v\$" -benchtime "$bt" -cpuprofile "$work/$v.prof" \
			-o "$work/cli.test" ./pkg/cli >>"$work/log.txt" 2>&1 || true
	done
fi

if [ "${PEERS:-$extras}" = 1 ]; then
	echo "== side-by-side run against one plain sandbox" | tee -a "$work/log.txt"
	$GO build -o "$work/rewardbatch" ./cmd/rewardbatch
	bash bench/peers/compare.sh "$work/rewardbatch" "$work" >"$work/peers.md" 2>>"$work/log.txt" ||
		echo "| the side-by-side run failed: see the output of make bench | | | | | | | |" >>"$work/peers.md"
fi

t1=$(date +%s)
load_after=$(load)
mkdir -p "$(dirname "$OUT")"
START="$started" COMMIT="$commit" LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" MINUTES=$(((t1 - t0 + 59) / 60)) \
	SKIPPED="$([ "$SKIP" = '^$' ] || echo "$HEAVY")" GO="$GO" \
	bash bench/report.sh "$work" >"$work/performance.md"
mv "$work/performance.md" "$OUT"
echo "wrote $OUT"
