# Learning curves of the fixes: each model's accuracy per epoch on the test set it was made
# for (t1 .. t4), mean over the seeds, the convolutional network trained on t1, and the
# all-variants model on each variant (dashed).
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(exp, split) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * avg(accuracy) \
  FROM latest_epochs WHERE chapter = '02-shifted-mnist' AND experiment = '%s' \
  AND split = '%s' GROUP BY epoch ORDER BY epoch\"", db, exp, split)

set grid
set xlabel 'epoch'
set ylabel 'test accuracy (%)'
set xtics 1
set yrange [0:100]
set key outside right top font ',10' spacing 1.1 samplen 2 width -2
set style line 1 lc rgb '#1f77b4' lw 2 pt 5 ps 0.5
set style line 2 lc rgb '#2ca02c' lw 2 pt 9 ps 0.5
set style line 3 lc rgb '#2ca02c' lw 2 pt 11 ps 0.5 dt 4
set style line 4 lc rgb '#d62728' lw 2 pt 13 ps 0.5
set style line 5 lc rgb '#9467bd' lw 2 pt 7 ps 0.5
plot curve('fix-t1', 'test-t1') using 1:2 with linespoints ls 1 title 'fix-t1 on t1', \
     curve('fix-t2-permuted', 'test-t2') using 1:2 with linespoints ls 2 title 'fix-t2-permuted on t2', \
     curve('fix-t2-sorted', 'test-t2') using 1:2 with linespoints ls 3 title 'fix-t2-sorted on t2', \
     curve('fix-t3', 'test-t3') using 1:2 with linespoints ls 4 title 'fix-t3 on t3', \
     curve('fix-t4', 'test-t4') using 1:2 with linespoints ls 5 title 'fix-t4 on t4', \
     curve('cnn-fix-t1', 'test-t1') using 1:2 with linespoints lc rgb '#ff7f0e' lw 2 pt 13 ps 0.6 title 'cnn-fix-t1 on t1', \
     curve('all-variants', 'test-t1') using 1:2 with lines ls 1 dt 2 lw 1.5 title 'all-variants on t1', \
     curve('all-variants', 'test-t2') using 1:2 with lines ls 2 dt 2 lw 1.5 title 'all-variants on t2', \
     curve('all-variants', 'test-t3') using 1:2 with lines ls 4 dt 2 lw 1.5 title 'all-variants on t3', \
     curve('all-variants', 'test-t4') using 1:2 with lines ls 5 dt 2 lw 1.5 title 'all-variants on t4'
