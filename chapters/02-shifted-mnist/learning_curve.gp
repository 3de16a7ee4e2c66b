# Learning curves. The clean 8-layer MLP, test accuracy per epoch, mean over seeds with
# the min-max range as error bars, and the training accuracy (running mean over the epoch).
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(exp, split) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * avg(accuracy), 100 * min(accuracy), 100 * max(accuracy) \
  FROM latest_epochs WHERE chapter = '02-shifted-mnist' AND experiment = '%s' \
  AND split = '%s' GROUP BY epoch ORDER BY epoch\"", db, exp, split)

set grid
set xlabel 'epoch'
set ylabel 'accuracy (%)'
set key bottom right
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.5
set style line 2 lc rgb '#1f77b4' lw 1.5 dt 2
set xtics 1
plot curve('clean', 'test') using 1:2:3:4 with yerrorlines ls 1 title 'test', \
     curve('clean', 'train') using 1:2 with lines ls 2 title 'training'
