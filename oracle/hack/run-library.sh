#!/usr/bin/env bash
# Runs scenarios on rollsim and on the upstream Argo Rollouts controllers
# (rollsim-oracle) and compares them decision by decision (docs/oracle.md).
#
#   oracle/hack/run-library.sh [OUT_DIR] [SCENARIO.yaml...]
#
# Default: every scenarios/library/*.yaml. Writes, per scenario, the plan,
# both results and the diff to OUT_DIR (default .cache/oracle), prints the
# agreement table (scenario | verdict | first divergence) and writes it to
# OUT_DIR/agreement.md. Exits 1 when a verdict differs from the recorded one
# in oracle/agreement.txt (a new disagreement, or one that went away: update
# the file and docs/fidelity.md), 2 when a tool fails to build.
set -u
cd "$(dirname "$0")/../.."
out=${1:-.cache/oracle}
shift || true
mkdir -p "$out" bin
go build -o bin/rollsim ./cmd/rollsim || exit 2
(cd oracle && go build -o ../bin/rollsim-oracle ./cmd/rollsim-oracle) || exit 2
version=$(bin/rollsim-oracle --version)
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(scenarios/library/*.yaml)

table="$out/agreement.md"
verdicts="$out/agreement.txt"
{
  echo "| scenario | verdict | first divergence |"
  echo "|---|---|---|"
} > "$table"
: > "$verdicts"
for f in "${files[@]}"; do
  n=$(basename "$f" .yaml)
  if ! bin/rollsim resolve "$f" > "$out/$n.plan.json" 2> "$out/$n.resolve.err"; then
    row="| $n | error | rollsim resolve: $(head -1 "$out/$n.resolve.err") |"
  else
    bin/rollsim-oracle "$out/$n.plan.json" > "$out/$n.argo.json" 2> "$out/$n.argo.err"
    bin/rollsim run "$f" --output json > "$out/$n.rollsim.json" 2> /dev/null
    bin/rollsim diff "$out/$n.rollsim.json" "$out/$n.argo.json" > "$out/$n.diff.txt" 2>&1
    row=$(bin/rollsim diff --table "$out/$n.rollsim.json" "$out/$n.argo.json" 2>&1 | head -1)
    case "$row" in "|"*) ;; *) row="| $n | error | $row |" ;; esac
  fi
  echo "$row" >> "$table"
  echo "$row" | awk -F' \\| ' '{gsub(/^\| /, "", $1); print $1, $2}' >> "$verdicts"
done
cat "$table"
echo
echo "argo-rollouts $version; $(grep -c '| agree |' "$table") of ${#files[@]} agree; details in $out/<scenario>.diff.txt"
if [ -f oracle/agreement.txt ] && [ ${#@} -eq 0 ]; then
  if ! diff -u oracle/agreement.txt "$verdicts"; then
    echo "verdicts changed from oracle/agreement.txt: fix the disagreement, or record it (oracle/agreement.txt, docs/fidelity.md)"
    exit 1
  fi
fi
exit 0
