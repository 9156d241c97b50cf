#!/usr/bin/env bash
# Shows that the tests can fail: each tests/mutants/*.patch puts back one
# bug a test was written for (DESTROY's wait, the backup's removal, the
# control-path races found in review, ...), and the test its "Test:" line names must then
# fail. "Env:" lines (VAR=value, one each) are set for that test. Runs on a
# clean copy of the committed HEAD with a release build of its own, so the
# working tree is never touched; a few minutes for the build, then each
# test REPEAT times (1), each stopped after 120 s (a hang is a failure too):
# a mutant counts as caught only if every run caught it.
# Not part of the test command: run it after changing a test or its fix.
# Usage: [KEEP=1] [REPEAT=n] scripts/mutants.sh [tests/mutants/NN-name.patch ...]
# (KEEP=1 leaves the copy, its build and the logs in /tmp to look at.)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
	patches=()
	for p in "$@"; do patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"); done
else
	patches=("$top"/tests/mutants/*.patch)
fi

work=$(mktemp -d /tmp/bypass-mutants.XXXXXX)
src=$work/src
cleanup() {
	git -C "$top" worktree remove --force "$src" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
git -C "$top" worktree add --detach "$src" HEAD >/dev/null
echo "mutants: building HEAD $(git -C "$src" rev-parse --short HEAD) in $src/build"
BUILD=$src/build "$src/scripts/build.sh"

repeat=${REPEAT:-1}
caught=0
bad=()
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	test=$(sed -n 's/^Test: //p' "$p")
	if [ -z "$test" ] || ! git -C "$src" apply "$p"; then
		echo "mutants: $name: no Test: line, or it does not apply to HEAD"
		bad+=("$name (does not apply)")
		continue
	fi
	log=$work/$name.log
	if ! ninja -C "$src/build" >"$log.build" 2>&1; then
		cat "$log.build"
		echo "mutants: $name: does not build"
		bad+=("$name (does not build)")
	else
		# Each run must catch it: a guard that catches a race by chance
		# shows up as "caught k of REPEAT".
		runs=0
		for ((r = 1; r <= repeat; r++)); do
			if (
				cd "$src/build"
				while IFS= read -r assignment; do export "${assignment?}"; done < <(sed -n 's/^Env: //p' "$p")
				# shellcheck disable=SC2086 # the test command is words
				timeout 120 $test
			) >"$log" 2>&1; then
				cat "$log"
				echo "mutants: $name: run $r: $test passed with the bug in"
			else
				runs=$((runs + 1))
			fi
		done
		if [ "$runs" -eq "$repeat" ]; then
			caught=$((caught + 1))
			echo "mutants: $name: caught $runs of $repeat ($(sed -n 's/^Mutant: //p' "$p"))"
		else
			echo "mutants: $name: SURVIVED $((repeat - runs)) of $repeat runs"
			bad+=("$name (survived $((repeat - runs)) of $repeat)")
		fi
	fi
	git -C "$src" apply -R "$p"
done
echo "mutants: ${caught} of ${#patches[@]} caught"
if [ ${#bad[@]} -gt 0 ]; then
	printf 'mutants: not caught: %s\n' "${bad[@]}"
	exit 1
fi
