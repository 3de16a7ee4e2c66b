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

# The live program: emotion-clip ran the clip of PrivateTest faces through emotion-live.
live="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'live-clip')"
score="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'live-clip-accuracy')"
shown=$(q "SELECT printf('%d', value) FROM metrics WHERE run_id = $score AND name = 'faces_shown'")
check "$ch: emotion-live read every frame of the clip ($shown)" \
    test "$(q "SELECT printf('%d', value) FROM metrics WHERE run_id = $live AND name = 'frames'")" = "$shown" -a "${shown:-0}" -gt 0
check "$ch: emotion-live logged fps and the median and p90 of capture, detection, classification" \
    test "$(q "SELECT count(*) FROM metrics WHERE run_id = $live AND (name = 'fps' OR name GLOB '*_ms_p[59]0')")" = 17
check "$ch: emotion-live printed a line per frame" \
    test "$(wc -l < "$(dirname "$DB")/$ch/live-clip.txt")" = "$shown"
check "$ch: emotion-live found faces in the clip" \
    test "$(q "SELECT value > 0 FROM metrics WHERE run_id = $score AND name = 'faces_found'")" = 1
check "$ch: emotion-live's emotions are the classifier's on the same crops" \
    test "$(q "SELECT value FROM metrics WHERE run_id = $score AND name = 'same_as_classifier'")" = 1.0
clipacc=$(q "SELECT printf('%.1f', 100 * value) FROM metrics WHERE run_id = $score AND name = 'accuracy_found'")
check "$ch: HTML shows the clip's accuracy $clipacc" grep -Eq -- "$clipacc(</span>)?%" "$HTML"

# emotion-live as a user meets it: its errors are one line, Ctrl-C ends it cleanly.
live_bin=build/release/bin/emotion-live
live_err() { # expected status, text, arguments...
    local want=$1 text=$2 status=0
    shift 2
    "$live_bin" "$@" >"$OUT/live.out" 2>"$OUT/live.err" || status=$?
    test "$status" = "$want" -a "$(wc -l < "$OUT/live.err")" = 1 && grep -q -- "$text" "$OUT/live.err"
}
check "$ch: emotion-live --help" "$live_bin" --help
check "$ch: emotion-live on a missing camera (/dev/video99)" live_err 1 "/dev/video99: no such device" --model "$h5" /dev/video99
check "$ch: emotion-live on an unreadable video file" live_err 1 "not a video OpenCV can read" --model "$h5" "$h5"
check "$ch: emotion-live on a missing raw file" live_err 1 "No such file or directory" --model "$h5" --raw 640x480 "$OUT/none.raw"
check "$ch: emotion-live with a bad flag" live_err 2 "--fps wants a number" --fps fast
check "$ch: emotion-live stops on Ctrl-C with its summary" bash -c \
    "timeout --preserve-status -s INT 2 '$live_bin' --model '$h5' --raw 320x240 --fps 30 /dev/zero >'$OUT/live.out' 2>'$OUT/live.err' && grep -q 'stopped by Ctrl-C' '$OUT/live.err' && test -s '$OUT/live.out'"
