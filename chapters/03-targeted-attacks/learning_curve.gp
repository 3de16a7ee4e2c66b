# Learning curves of the tutorial CNN (and of the independently trained second copy): error
# in percent on a log scale, against epochs. Lines: running training error over windows of
# mini-batches (dropout on); points: test error after each epoch.
# Set by the Makefile: terminal, output, and `db` (the results database).

window(exp) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT 1.0 * e.step * json_extract(r.config_json, '$.batch') / json_extract(r.config_json, '$.train_n'), \
         100 * (1 - e.accuracy) \
  FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = '%s') \
    AND e.split = 'train_window' ORDER BY e.step\"", db, exp)
test(exp) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.epoch, 100 * (1 - e.accuracy) \
  FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = '%s') \
    AND e.split = 'test' ORDER BY e.epoch\"", db, exp)

set xlabel 'epoch'
set ylabel 'error (%), log scale'
set logscale y
set key top right
set grid
set style line 1 lc rgb '#1f77b4' lw 1.5
set style line 2 lc rgb '#1f77b4' lw 2 pt 7 ps 1.0
set style line 3 lc rgb '#d62728' lw 1.5 dt 2
set style line 4 lc rgb '#d62728' lw 2 pt 5 ps 1.0

plot window('cnn')   using 1:2 with lines ls 1 title 'model A, training (running)', \
     test('cnn')     using 1:2 with linespoints ls 2 title 'model A, test', \
     window('cnn-b') using 1:2 with lines ls 3 title 'model B, training (running)', \
     test('cnn-b')   using 1:2 with points ls 4 title 'model B, test'
