# Learning curve of the final CIFAR-10 model: test accuracy after every epoch, and the
# training accuracy over each epoch (augmented images, label smoothing: a lower bound on
# how well it fits), with the learning rate of the one-cycle schedule on the right axis.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(split, col) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.epoch, %s FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.chapter = '04-cifar10' AND r.experiment = 'final' AND e.split = '%s' \
  ORDER BY e.epoch\"", db, col, split)

set xlabel 'epoch'
set ylabel 'accuracy (%)'
set y2label 'learning rate (end of epoch)'
set ytics nomirror
set y2tics
set key bottom right
set grid
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.7
set style line 2 lc rgb '#d62728' lw 2 pt 5 ps 0.7
set style line 3 lc rgb '#7f7f7f' lw 1.5 dt 2

plot curve('test', '100 * e.accuracy') using 1:2 with linespoints ls 1 title 'test', \
     curve('train', '100 * e.accuracy') using 1:2 with linespoints ls 2 title 'training (augmented)', \
     curve('train', 'e.lr') using 1:2 axes x1y2 with lines ls 3 title 'learning rate'
