# Chapter 06's checks of the smoke pipeline (sourced by tests/integration.sh, which provides
# check, q, $OUT, $DB, $HTML and the PDF text in $OUT/report.txt).
ch=06-emotion
check "$ch: the data run logged 21 class counts" \
    test "$(q "SELECT count(*) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'data' AND name LIKE 'n\_%' ESCAPE '\'")" = 21
check "$ch: the data run counted all 35887 faces" \
    test "$(q "SELECT printf('%d', sum(value)) FROM latest_metrics WHERE chapter = '$ch' AND experiment = 'data' AND name LIKE 'n\_%' ESCAPE '\'")" = 35887
check "$ch: the sample grid was written and recorded" \
    test -s "$OUT/figures/$ch-samples.png" -a "$(q "SELECT count(*) FROM artifacts a JOIN latest_runs r ON r.id = a.run_id WHERE r.chapter = '$ch' AND a.path LIKE '%$ch-samples.png'")" -ge 1
