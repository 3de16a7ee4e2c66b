# chapters/01-depth-activations/check.sh - sourced by tests/integration.sh after the smoke
# pipeline (helpers: check, q, pass, fail; paths: $OUT, $DB, $HTML).
#
# Chapter 01-depth-activations: every network and seed finished with its gradient
# statistics (untrained and after epoch 3, the part (C) models), its fine learning curve,
# its per-layer unit statistics and its step-trace windows; its tables and figures come
# from the database (change the database, and the filled text and the figure change with
# it).
ch=01-depth-activations
check "$ch: 9 networks at each of 3 depths and 2 clipped controls at 40 layers, done" \
    test "$(q "SELECT count(DISTINCT experiment) FROM latest_runs WHERE chapter = '$ch'")" = 29
check "$ch: more seeds at 40 hidden layers than at 5" \
    test "$(q "SELECT (SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'depth40-tanh') > (SELECT count(*) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'depth5-tanh')")" = 1
check "$ch: the ablation's activations and LeCun's at tanh's effective rate" \
    test "$(q "SELECT count(DISTINCT experiment) FROM latest_runs WHERE chapter = '$ch' AND (json_extract(config_json, '$.activation') IN ('tanh_linear', 'scaled_tanh') OR (json_extract(config_json, '$.lr') < 0.0077 AND json_extract(config_json, '$.lr') > 0.0076))")" = 9
check "$ch: the clipped runs count their clipped steps" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND json_extract(r.config_json, '$.clip_norm') > 0 AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id AND m.name = 'clipped_steps')")" = 0
check "$ch: every run has its step windows and every hidden layer's unit statistics" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND (NOT EXISTS (SELECT 1 FROM step_stats s WHERE s.run_id = r.id AND s.name = 'window_grad_norm_max') OR json_extract(r.config_json, '$.depth') != (SELECT count(DISTINCT layer) FROM layer_stats l WHERE l.run_id = r.id AND l.name = 'mean_output' AND l.epoch = 0))")" = 0
check "$ch: the fixes are He's weights for ReLU and LeCun's for tanh" \
    test "$(q "SELECT group_concat(DISTINCT json_extract(config_json, '$.activation') || '/' || json_extract(config_json, '$.init'))
               FROM (SELECT config_json FROM latest_runs WHERE chapter = '$ch'
                     AND json_extract(config_json, '$.init') != 'glorot_uniform' ORDER BY 1)")" = "relu/he_normal,tanh/lecun_normal"
check "$ch: at least 2 seeds per network" \
    test "$(q "SELECT min(n) FROM (SELECT count(*) AS n FROM latest_runs WHERE chapter = '$ch' GROUP BY experiment)")" -ge 2
check "$ch: weight and output gradient stats at epochs 0 and 3 for every run" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND 4 != (SELECT count(DISTINCT g.epoch || g.kind) FROM grad_stats g WHERE g.run_id = r.id AND g.epoch IN (0, 3))")" = 0
check "$ch: every dense layer has a weight row (depth + 1 per epoch)" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND json_extract(r.config_json, '$.depth') + 1 != (SELECT count(*) FROM grad_stats g WHERE g.run_id = r.id AND g.epoch = 3 AND g.kind = 'weight')")" = 0
check "$ch: windowed training curves logged" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND NOT EXISTS (SELECT 1 FROM epochs e WHERE e.run_id = r.id AND e.split = 'train_window')")" = 0
for f in curves grad_grid grad_grid_init delta_grid lecun_curves init_grad init_curves sigmoid_means drops; do
    check "$ch: figure $f (svg and pdf)" test -s "$OUT/figures/$ch-$f.svg" -a -s "$OUT/figures/$ch-$f.pdf"
done
d40=$(q "SELECT printf('%.2f', 100 * median) FROM latest_metric_summary WHERE chapter = '$ch' AND experiment = 'depth40-tanh' AND name = 'test_accuracy'")
check "$ch: HTML shows the 40-layer tanh accuracy $d40" grep -q -- "$d40" "$HTML"
check "$ch: PDF shows the 40-layer tanh accuracy $d40" grep -q -- "$d40" "$OUT/report.txt"
cp "$DB" "$OUT/altered.sqlite"
sqlite3 "$OUT/altered.sqlite" "UPDATE metrics SET value = 0.123456 WHERE name = 'test_accuracy' AND run_id IN
    (SELECT id FROM latest_runs WHERE chapter = '$ch' AND experiment = 'depth40-tanh');
    UPDATE metrics SET value = 0.654321 WHERE name = 'test_accuracy' AND run_id IN
    (SELECT id FROM latest_runs WHERE chapter = '$ch' AND experiment = 'depth40-relu-he_normal');
    UPDATE grad_stats SET max_abs = max_abs * 1e6 WHERE run_id IN
    (SELECT id FROM latest_runs WHERE chapter = '$ch' AND experiment = 'depth40-sigmoid')"
build/release/bin/fill --db "$OUT/altered.sqlite" chapters/$ch/chapter.md >"$OUT/altered.md" 2>&1
check "$ch: the accuracy table follows the database" grep -q '| *40 | tanh *| *[0-9]* | *12.35 |' "$OUT/altered.md"
check "$ch: the fixes' table follows the database" grep -q '| *40 | ReLU *| *[0-9.]* | He *| *65.43 |' "$OUT/altered.md"
gnuplot -e "set terminal svg size 720,440; set output '$OUT/altered.svg'; db='$OUT/altered.sqlite'" \
    chapters/$ch/grad_grid.gp 2>/dev/null
gnuplot -e "set terminal svg size 720,440; set output '$OUT/same.svg'; db='$DB'" \
    chapters/$ch/grad_grid.gp 2>/dev/null
check "$ch: the gradient figure follows the database" bash -c "! cmp -s '$OUT/altered.svg' '$OUT/same.svg'"

