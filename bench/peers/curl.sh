#!/bin/sh
# An `xargs -P` curl loop posting create-allocate-points, one curl process
# per row: the shell peer that `make bench` measures next to rewardbatch
# (see bench/run.sh and docs/performance.md).
#
#   bench/peers/curl.sh [-P PARALLEL] FILE
#
# FILE is a CSV written by `rewardbatch generate`. It logs in once (POST
# /oauth/token, the OAuth2 password grant), turns every row into a JSON
# body with awk and posts them with at most PARALLEL curls at a time. Like
# the Python peer it keeps no ledger, looks nothing up and reconciles
# nothing; unlike it, it retries nothing, not even a 429. The sandbox must be
# plain (`rewardbatch sandbox --plain`): there is no AES here either.
# Configuration is the ENKASH_* variables the sandbox prints. The result is
# one line of key=value pairs on stdout; an HTTP 200 is counted as ok (a
# refusal inside a 200 is not told apart: bench/run.sh checks the sandbox's
# own count of applied credits).
set -eu

parallel=16
while getopts P: opt; do
	case $opt in
	P) parallel=$OPTARG ;;
	*) echo "usage: $0 [-P PARALLEL] FILE" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-P PARALLEL] FILE" >&2; exit 2; }
file=$1

for v in ENKASH_BASE_URL ENKASH_CLIENT_ID ENKASH_CLIENT_SECRET ENKASH_USERNAME ENKASH_PASSWORD \
	ENKASH_PARTNER_ID ENKASH_COMPANY_ID ENKASH_CARD_ACCOUNT_ID; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || { echo "curl.sh: $v is not set (export what \`rewardbatch sandbox --plain\` prints)" >&2; exit 2; }
done
[ "${ENKASH_ENCRYPT:-true}" = false ] || { echo "curl.sh: the sandbox must be plain (ENKASH_ENCRYPT=false)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Every row as one line of JSON. The generated files quote nothing; a
# field with a comma or a quote would be refused rather than misread.
awk -F, -v company="$ENKASH_COMPANY_ID" -v account="$ENKASH_CARD_ACCOUNT_ID" '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; cols = NF; next }
{
	if (NF != cols || $0 ~ /["\\]/) { printf "curl.sh: line %d is quoted or ragged\n", NR > "/dev/stderr"; exit 1 }
	amount = $col["loadAmount"]
	if (amount !~ /^[0-9]+(\.[0-9][0-9]?)?$/) { printf "curl.sh: line %d: bad loadAmount\n", NR > "/dev/stderr"; exit 1 }
	debit = $col["operation"] == "debit"
	s = "{\"companyId\":\"" company "\",\"cardAccountId\":\"" account "\",\"transactionCode\":\"ALLOCATION\"," \
		"\"transactionType\":\"" (debit ? "DR" : "CR") "\",\"type\":\"" (debit ? "UNALLOCATE_POINT" : "ALLOCATE_POINT") "\"," \
		"\"uniqueReferenceNumber\":\"" $col["uniqueReferenceNumber"] "\""
	n = split("enkashCardId email mobile title firstName gender", keys, " ")
	for (k = 1; k <= n; k++) if ((keys[k] in col) && $col[keys[k]] != "") s = s ",\"" keys[k] "\":\"" $col[keys[k]] "\""
	print s ",\"loadAmount\":" amount "}"
}' "$file" >"$work/bodies"
rows=$(wc -l <"$work/bodies" | tr -d ' ')

start=$(date +%s.%N)
token=$(curl -sS --fail -u "$ENKASH_CLIENT_ID:$ENKASH_CLIENT_SECRET" \
	--data-urlencode grant_type=password --data-urlencode "username=$ENKASH_USERNAME" \
	--data-urlencode "password=$ENKASH_PASSWORD" --data-urlencode "clientId=$ENKASH_CLIENT_ID" \
	"$ENKASH_BASE_URL/oauth/token" | sed -n 's/.*"access_\{0,1\}[tT]oken"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "curl.sh: login failed" >&2; exit 1; }

# Each body is the last argument of its curl; -w prints the status alone
# (a 4-byte write, so parallel curls do not interleave their lines).
tr '\n' '\0' <"$work/bodies" | xargs -0 -n 1 -P "$parallel" curl -s -o /dev/null -w '%{http_code}\n' \
	-H 'Content-Type: application/json' -H "Authorization: Bearer $token" -H "partnerId: $ENKASH_PARTNER_ID" \
	"$ENKASH_BASE_URL/api/v0/partner/enKashCard/create-allocate-points" --data-binary >"$work/codes" || true
end=$(date +%s.%N)

awk -v rows="$rows" -v parallel="$parallel" -v start="$start" -v end="$end" '
{ n[$1]++ }
END {
	ok = n["200"] + 0; secs = end - start
	printf "tool=curl-xargs workers=%d rows=%d ok=%d http429=%d other=%d seconds=%.2f rowsPerSecond=%.0f\n",
		parallel, rows, ok, n["429"] + 0, NR - ok - n["429"], secs, ok / secs
}' "$work/codes"
