# Confusion matrix of the final model on the test set: the share of each true class (row)
# given to each predicted class (column), in percent, as a heat map with the numbers.
# Set by the Makefile: terminal, output, and `db` (the results database).

cells = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT c.predicted, c.truth, 100.0 * c.count / (SELECT sum(d.count) FROM confusion d \
         WHERE d.run_id = c.run_id AND d.truth = c.truth) \
  FROM confusion c JOIN latest_runs r ON r.id = c.run_id \
  WHERE r.chapter = '04-cifar10' AND r.experiment = 'final' ORDER BY c.truth, c.predicted\"", db)

set xlabel 'predicted class'
set ylabel 'true class'
set xtics ('airplane' 0, 'automobile' 1, 'bird' 2, 'cat' 3, 'deer' 4, 'dog' 5, 'frog' 6, \
           'horse' 7, 'ship' 8, 'truck' 9) rotate by 45 right
set ytics ('airplane' 0, 'automobile' 1, 'bird' 2, 'cat' 3, 'deer' 4, 'dog' 5, 'frog' 6, \
           'horse' 7, 'ship' 8, 'truck' 9)
set yrange [9.5:-0.5]
set xrange [-0.5:9.5]
set size ratio -1
set palette defined (0 '#ffffff', 2 '#fde0c5', 10 '#f59e72', 100 '#7f0000')
set logscale cb
set cbrange [0.1:100]
set cblabel 'share of the true class (%)'
unset key
plot cells using 1:2:($3 > 0.1 ? $3 : 0.1) with image, \
     cells using 1:2:(sprintf('%.1f', $3)) with labels font ',8'
