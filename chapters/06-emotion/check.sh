# Chapter 06's checks of the smoke pipeline (sourced by tests/integration.sh, which provides
# check, q, $OUT, $DB, $HTML and the PDF text in $OUT/report.txt).
ch=06-emotion
check "$ch: the data run logged 21 class counts" \
    test "$(q "SELECT count(*) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'data' AND name LIKE 'n\_%' ESCAPE '\'")" = 21
check "$ch: the data run counted all 35887 faces" \
    test "$(q "SELECT printf('%d', sum(value)) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'data' AND name LIKE 'n\_%' ESCAPE '\'")" = 35887
check "$ch: the sample grid was written and recorded" \
    test -s "$OUT/figures/$ch-samples.png" -a "$(q "SELECT count(*) FROM artifacts a JOIN latest_runs r ON r.id = a.run_id WHERE r.chapter = '$ch' AND a.path LIKE '%$ch-samples.png'")" -ge 1
final="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'final')"
check "$ch: the five training runs finished" \
    test "$(q "SELECT count(DISTINCT experiment) FROM latest_runs WHERE chapter = '$ch' AND experiment IN ('narrow-plain', 'narrow-aug', 'narrow-aug-balanced', 'narrow-aug-balanced-constant', 'final')")" = 5
check "$ch: every training run logged a PublicTest row per epoch" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND r.experiment != 'data' AND r.experiment NOT LIKE 'live%' AND json_extract(r.config_json, '$.epochs') != (SELECT count(*) FROM epochs e WHERE e.run_id = r.id AND e.split = 'public')")" = 0
check "$ch: the final run has PrivateTest accuracy, macro-F1 and 7 recalls" \
    test "$(q "SELECT count(*) FROM metrics WHERE run_id = $final AND (name IN ('private_accuracy', 'private_macro_f1') OR name LIKE 'recall\_%' ESCAPE '\')")" = 9
check "$ch: the PrivateTest confusion matrix covers the PrivateTest faces" \
    test "$(q "SELECT sum(count) FROM confusion WHERE run_id = $final")" = "$(q "SELECT json_extract(config_json, '$.private_n') FROM runs WHERE id = $final")"
h5=$(q "SELECT path FROM artifacts WHERE run_id = $final AND kind = 'model'")
check "$ch: the .h5 model was written ($h5)" test -s "$h5"
check "$ch: h5py reads the .h5 model and its names and shapes match model_config" \
    /usr/bin/python3 tests/keras_h5_check.py "$h5"
check "$ch: the .h5 model read back predicts the same PrivateTest labels" \
    test "$(q "SELECT value FROM metrics WHERE run_id = $final AND name = 'h5_same_predictions'")" = 1.0
check "$ch: the classifier's latency was timed" \
    test "$(q "SELECT count(*) FROM timings WHERE run_id = $final AND what = 'classify'")" = 1
for f in curves confusion; do
    check "$ch: figure $f (svg and pdf)" test -s "$OUT/figures/$ch-$f.svg" -a -s "$OUT/figures/$ch-$f.pdf"
done
check "$ch: the confusion examples were drawn" test -s "$OUT/figures/$ch-confusions.png"
acc06=$(q "SELECT printf('%.2f', 100 * value) FROM metrics WHERE run_id = $final AND name = 'private_accuracy'")
check "$ch: HTML shows the final PrivateTest accuracy $acc06" grep -Eq -- "$acc06(</span>)?%" "$HTML"
check "$ch: PDF shows the final PrivateTest accuracy $acc06" grep -q -- "$acc06%" "$OUT/report.txt"
