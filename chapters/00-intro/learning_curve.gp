# Learning curves of the introduction's two baselines: accuracy per epoch, mean over seeds
# with the min-max range as error bars; test solid, training dashed.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(model, split) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.epoch, 100 * avg(e.accuracy), 100 * min(e.accuracy), 100 * max(e.accuracy) \
  FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.chapter = '00-intro' AND r.experiment = '%s' AND e.split = '%s' \
  GROUP BY e.epoch ORDER BY e.epoch\"", db, model, split)

set xlabel 'epoch'
set ylabel 'accuracy (%)'
set key below maxrows 2 width -2
set grid
set xtics 1
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.6
set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 0.6
set style line 3 lc rgb '#1f77b4' lw 1.5 dt 2 pt 7 ps 0.4
set style line 4 lc rgb '#d62728' lw 1.5 dt 2 pt 5 ps 0.4

plot curve('logreg', 'test')  using 1:2:3:4 with yerrorlines ls 1 title 'logistic regression, test', \
     curve('mlp', 'test')     using 1:2:3:4 with yerrorlines ls 2 title 'MLP (128 ReLU), test', \
     curve('logreg', 'train') using 1:2 with lines ls 3 title 'logistic regression, training', \
     curve('mlp', 'train')    using 1:2 with lines ls 4 title 'MLP (128 ReLU), training'
