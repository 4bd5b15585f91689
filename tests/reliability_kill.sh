#!/usr/bin/env bash
# reliability_kill.sh - kills at random points of `bundle`, `train` and `importance`.
# Each of NB_KILLS (default 20) rounds copies a pristine file to the target, starts one of the
# three commands on it, sends SIGKILL or SIGINT (alternating) at a random moment within the
# command's measured run time, and checks: the target is byte-identical to before (the
# command died before its rename) or a complete new file that `nnbundle info` reads (it died
# after the rename, or had finished); and
# after the next write of the target no temporary or lock file is left. Seeded
# (NB_KILL_SEED, default 14): the same moments every run on the same machine speed.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
N=${NB_KILLS:-20}
RANDOM=${NB_KILL_SEED:-14}

D="$W/data"
fast_idx "$D" train 1000 8 8 10 1
fast_idx "$D" t10k 200 8 8 10 2
# pristine files: a bundled small network (for bundle and importance), a larger one for train
"$NNBUNDLE" train --data "$D" -o "$W/small.nnb.h5" --layers 100,50 --epochs 1 --quiet >/dev/null ||
    fail "setup: train small"
"$NNBUNDLE" importance "$W/small.nnb.h5" --data "$D" --set importance_epochs=1 --quiet >/dev/null ||
    fail "setup: importance"
"$NNBUNDLE" bundle "$W/small.nnb.h5" --set edge_advection=false --quiet >/dev/null ||
    fail "setup: bundle"
[ "$fails" = 0 ] || exit 1

T="$W/t"
mkdir "$T"
F="$T/target.nnb.h5"
# command k (0 bundle, 1 train, 2 importance) on $F, exec'd (run it in a subshell or in the
# background: the job's pid is then nnbundle's own) with SIGINT at its default action (a
# background job of a script would inherit it ignored)
cmd() {
    local run=(exec env --default-signal=INT "$NNBUNDLE")
    case $1 in
    0) "${run[@]}" bundle "$F" --set edge_advection=false --quiet ;;
    1) "${run[@]}" train --data "$D" -o "$F" --layers 500,250 --epochs 1 --quiet ;;
    2) "${run[@]}" importance "$F" --data "$D" --set importance_epochs=3 --quiet ;;
    esac
}
names=(bundle train importance)
# the run time of each command (ms), measured once
declare -a dur
for k in 0 1 2; do
    cp "$W/small.nnb.h5" "$F"
    t0=$(now_ms)
    (cmd $k) >/dev/null 2>&1 || fail "${names[$k]} does not run to completion"
    dur[$k]=$(($(now_ms) - t0))
done
rm -f "$F"

killed=0 late=0 finished=0 left_after_kill=0
for ((i = 0; i < N; i++)); do
    k=$((i % 3))
    sig=$([ $((i / 3 % 2)) = 0 ] && echo KILL || echo INT)
    cp "$W/small.nnb.h5" "$F"
    before=$(sha "$F")
    at=$((RANDOM % (dur[k] + 1)))
    cmd $k >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    what="round $i: ${names[$k]} SIG$sig at ${at} ms of ${dur[$k]} ms (exit $rc)"
    if [ "$rc" = 0 ]; then
        finished=$((finished + 1))
        "$NNBUNDLE" info "$F" >/dev/null 2>&1 || fail "$what: the finished file does not read"
    elif [ "$(sha "$F")" = "$before" ]; then
        killed=$((killed + 1))
    else # killed between the rename and the exit (directory sync, lock release, clean-up)
        late=$((late + 1))
        "$NNBUNDLE" info "$F" >/dev/null 2>&1 || fail "$what: the target changed and does not read"
    fi
    n_left=$(leftovers "$T" | wc -l)
    left_after_kill=$((left_after_kill + n_left))
    # the next write of the target removes what the killed process left
    "$NNBUNDLE" bundle "$F" --set edge_advection=false --set node_advection=false --quiet \
        >/dev/null 2>&1 || fail "$what: the next run failed"
    left=$(leftovers "$T")
    [ -z "$left" ] || fail "$what: left after the next run: $left"
    rm -f "$T"/*
done
echo "reliability_kill: $N kills (run times bundle ${dur[0]} ms, train ${dur[1]} ms," \
    "importance ${dur[2]} ms): $killed killed mid-run with the target byte-identical," \
    "$late killed after the rename with a complete new file," \
    "$finished finished first with a complete new file; $left_after_kill temporary or lock" \
    "files left by the kills, none after the next run"
[ "$fails" = 0 ] || {
    echo "$fails failure(s)" >&2
    exit 1
}
