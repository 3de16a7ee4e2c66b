# PublicTest accuracy after every epoch for each training run of chapter 06 (the final
# network solid, the narrow comparison runs thinner), and the final run's training accuracy.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(exp, split) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.epoch, 100 * e.accuracy FROM epochs e \
  WHERE e.run_id = (SELECT max(id) FROM latest_runs WHERE chapter = '06-emotion' AND experiment = '%s') \
    AND e.split = '%s' ORDER BY e.epoch\"", db, exp, split)

set xlabel 'epoch'
set ylabel 'accuracy (%)'
set key below maxrows 3 width -4
set grid
set style line 1 lc rgb '#d62728' lw 2.5 pt 7 ps 0.6
set style line 2 lc rgb '#d62728' lw 1.5 dt 2
set style line 3 lc rgb '#7f7f7f' lw 1.5 pt 6 ps 0.5
set style line 4 lc rgb '#1f77b4' lw 1.5 pt 4 ps 0.5
set style line 5 lc rgb '#2ca02c' lw 1.5 pt 8 ps 0.5
set style line 6 lc rgb '#9467bd' lw 1.5 pt 10 ps 0.5

plot curve('final', 'public') using 1:2 with linespoints ls 1 title 'final, PublicTest', \
     curve('final', 'train') using 1:2 with lines ls 2 title 'final, training (augmented)', \
     curve('narrow-plain', 'public') using 1:2 with linespoints ls 3 title 'narrow, plain', \
     curve('narrow-aug', 'public') using 1:2 with linespoints ls 4 title 'narrow, augmented', \
     curve('narrow-aug-balanced', 'public') using 1:2 with linespoints ls 5 title 'narrow, augmented, oversampled', \
     curve('narrow-aug-balanced-constant', 'public') using 1:2 with linespoints ls 6 title 'narrow, ..., constant rate'
