#!/usr/bin/env bash
# Does `make demo` write the same files at GIT-REF as in the work tree? Every CSV the demo
# writes (the org, the analysis, the three programs' outputs, the simulation's tables) is
# compared byte for byte, less the rows of timings (metrics named *seconds*); JSON summaries
# hold timings and dates, so they are not compared.
#   scripts/compare-demo.sh GIT-REF        (run from anywhere; needs `make venv` first)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ref=${1:?usage: scripts/compare-demo.sh GIT-REF}
python="$root/.venv/bin/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/old"
git -C "$root" archive "$ref" | tar -x -C "$work/old"

demo() {  # $1: source tree, $2: output folder
    local src=$1 out=$2
    (
        cd "$src"
        export PYTHONPATH="$src"
        m() { "$python" -m matcher.cli "$@" >/dev/null 2>&1; }
        m generate --employees 2000 --seed 7 --out "$out/org"
        m analyze --employees "$out/org/employees.csv" --interactions "$out/org/interactions.csv" --out "$out/analysis"
        for program in buddy mentoring peer-support; do
            m assign "scenarios/$program.toml" --employees "$out/org/employees.csv" \
                --analysis "$out/analysis" --out "$out/$program" --db "$out/matcher.db"
        done
        m simulate scenarios/peer-support-staffing.toml --out "$out/simulation" \
            --set org.generate.employees=2000 --set org.generate.seed=7 \
            --set 'variant.0.sweep={"org.trained_supporters" = [5, 10, 20, 40]}' \
            --quarters 2 --replications 2
    )
}

demo "$work/old" "$work/old-out"
demo "$root" "$work/new-out"
if [ -n "${KEEP:-}" ]; then cp -r "$work" "$KEEP"; fi
different=0
while IFS= read -r file; do
    if cmp -s <(grep -v seconds "$work/old-out/$file") <(grep -v seconds "$work/new-out/$file"); then
        echo "same       $file"
    else
        echo "DIFFERENT  $file"
        different=1
    fi
done < <(cd "$work/new-out" && find -L . -name '*.csv' -not -path '*.versions*' | sort)
exit $different
