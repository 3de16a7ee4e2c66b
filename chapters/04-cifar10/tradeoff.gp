# Accuracy against single-image latency (batch 1, one thread, median) for every model of the
# chapter: held-out accuracy of the ablations (trained on part of the training set), test accuracy of
# all of them, and the same with test-time flipping (two passes, so about twice the time).
# Point area grows with the parameter count.
# Set by the Makefile: terminal, output, and `db` (the results database).

pts(acc, lat) = sprintf("< sqlite3 -readonly -separator '\t' '%s' \"\
  SELECT l.value, 100 * a.value, sqrt(p.value / 1e6), r.experiment \
  FROM latest_runs r \
  JOIN metrics a ON a.run_id = r.id AND a.name = '%s' \
  JOIN metrics l ON l.run_id = r.id AND l.name = '%s' \
  JOIN metrics p ON p.run_id = r.id AND p.name = 'parameters' \
  WHERE r.chapter = '04-cifar10' AND r.experiment NOT LIKE 'cifar-%%' ORDER BY r.experiment\"", db, acc, lat)

set datafile separator "\t"
set xlabel 'latency per image, batch 1, one thread (ms, median)'
set ylabel 'accuracy (%)'
set key below maxrows 2 width -2
set grid
set offsets graph 0.08, graph 0.25, graph 0.08, graph 0.08
set style line 1 lc rgb '#1f77b4' pt 7
set style line 2 lc rgb '#d62728' pt 5
set style line 3 lc rgb '#2ca02c' pt 9

plot pts('test_accuracy', 'latency_ms_median') using 1:2:(1.5 + 2 * $3) with points ls 1 ps variable title 'test', \
     pts('test_accuracy', 'latency_ms_median') using 1:2:4 with labels left offset 1.2, 0 font ',9' notitle, \
     pts('valid_accuracy', 'latency_ms_median') using 1:2:(1.5 + 2 * $3) with points ls 2 ps variable title 'held-out training images (ablations)', \
     pts('test_accuracy_tta', 'latency_tta_ms_median') using 1:2:(1.5 + 2 * $3) with points ls 3 ps variable title 'test, with test-time flip'
