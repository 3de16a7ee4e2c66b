# chapters/02-shifted-mnist/check.sh - sourced by tests/integration.sh after the smoke
# pipeline (helpers: check, q, pass, fail; paths: $OUT, $DB).
#
# The chapter writes its five test sets as .npy and every trained model as .nnm next to the
# database, each file recorded in `artifacts` with its SHA-256. --evaluate loads those models
# (no training), prints a table, and reproduces the accuracy the chapter logged for the same
# set; it writes nothing into the database unless --log is given.
ch=02-shifted-mnist
ch_dir=$OUT/$ch
check "$ch: five .npy image/label pairs written" \
    test "$(ls "$ch_dir"/*_images.npy "$ch_dir"/*_labels.npy 2>/dev/null | wc -l)" = 10
seeds=$(q "SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'clean'")
check "$ch: every retrained model has as many seeds as the clean one ($seeds)" \
    test "$(q "SELECT count(*) FROM (SELECT experiment FROM latest_runs WHERE chapter = '$ch'
                 AND experiment NOT IN ('variants', 'evaluate') GROUP BY experiment
                 HAVING count(*) != $seeds)")" = 0
check "$ch: every model run saved its model" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch'
                 AND r.experiment NOT IN ('variants', 'evaluate') AND NOT EXISTS
                 (SELECT 1 FROM artifacts a WHERE a.run_id = r.id AND a.kind = 'model')")" = 0
sha_ok=1 files=0
while IFS='|' read -r path sha; do
    files=$((files + 1))
    [[ "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || sha_ok=0
done < <(q "SELECT a.path, a.sha256 FROM artifacts a JOIN latest_runs r ON r.id = a.run_id
            WHERE r.chapter = '$ch' AND a.kind IN ('npy', 'model')")
check "$ch: every .npy and model file ($files) matches its recorded SHA-256" \
    test "$sha_ok" = 1 -a "$files" -gt 10

# t1's permutation recovered from all test pairs: every position whose column is unique is
# recovered exactly (the shared ones, blank in every image, may be exchanged).
n_test=$(q "SELECT CAST(value AS INTEGER) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'variants' AND name = 'test_n'")
check "$ch: the recovery from all $n_test pairs finds every position it can tell apart" \
    test "$(q "SELECT e.value >= 1 - s.value - 1e-9 FROM latest_metrics e JOIN latest_metrics s ON s.run_id = e.run_id
                 WHERE e.chapter = '$ch' AND e.name = 't1_recovery/exact/n=$n_test'
                   AND s.name = 't1_recovery/shared/n=$n_test'")" = 1
# Models whose input cannot see the arrangement give a clean image and its t2 version the
# same class, every one of them.
check "$ch: the sorted model and the two controls are blind to t2's permutations" \
    test "$(q "SELECT count(*) FROM latest_metrics WHERE chapter = '$ch' AND name = 'same_as_clean/t2'
                 AND experiment IN ('fix-t2-sorted', 'ink-only', 'histogram-only') AND value = 1")" = $((3 * seeds))

want=$(q "SELECT printf('%.2f', 100 * m.value) FROM metrics m JOIN latest_runs r ON r.id = m.run_id
          WHERE r.chapter = '$ch' AND r.experiment = 'clean' AND r.seed = 1 AND m.name = 'acc/t4'")
runs_before=$(q "SELECT count(*) FROM runs")
table=$(build/release/bin/$ch --db "$DB" --profile smoke \
        --evaluate "$ch_dir/t4_images.npy" "$ch_dir/t4_labels.npy" 2>/dev/null)
got=$(awk '$1 == "clean" && $2 == 1 { sub("%", "", $3); print $3 }' <<<"$table")
check "$ch: --evaluate on the written t4 files gives the logged accuracy ($want)" \
    test -n "$want" -a "$got" = "$want"
check "$ch: --evaluate prints a row for every saved model" \
    test "$(grep -c '%$' <<<"$table")" = $((15 * seeds))
check "$ch: --evaluate without --log wrote nothing" test "$(q "SELECT count(*) FROM runs")" = "$runs_before"
cp "$DB" "$OUT/evaluate-log.sqlite"
build/release/bin/$ch --db "$OUT/evaluate-log.sqlite" --profile smoke --log \
    --evaluate "$ch_dir/t4_images.npy" "$ch_dir/t4_labels.npy" >/dev/null 2>&1
logged=$(sqlite3 -batch -noheader "$OUT/evaluate-log.sqlite" \
    "SELECT printf('%.2f', 100 * m.value) FROM metrics m JOIN runs r ON r.id = m.run_id
     WHERE r.experiment = 'evaluate' AND r.status = 'done' AND m.name = 'acc/t4_images.npy/clean/seed=1'")
check "$ch: --evaluate --log records the same accuracy ($logged)" test "$logged" = "$want"
cp "$ch_dir/clean-seed1.nnm" "$OUT/model-backup.nnm"
printf 'x' >>"$ch_dir/clean-seed1.nnm"
if msg=$(build/release/bin/$ch --db "$DB" --profile smoke \
         --evaluate "$ch_dir/t4_images.npy" "$ch_dir/t4_labels.npy" 2>&1 >/dev/null); then
    fail "$ch: --evaluate accepted a model file changed since its run"
else
    check "$ch: a changed model file is refused, named ($msg)" grep -q "clean-seed1.nnm.*SHA-256" <<<"$msg"
fi
mv "$OUT/model-backup.nnm" "$ch_dir/clean-seed1.nnm"
