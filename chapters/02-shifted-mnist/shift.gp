# Accuracy on the translated test set t4 as a function of the size of the shift,
# max(|dy|, |dx|) in pixels: the clean MLP (mean over seeds, min-max as error bars), the
# same model on recentred images, the MLP trained with random translations, the model for
# all variants, and the convolutional network trained on clean images.
# Set by the Makefile: terminal, output, and `db` (the results database).

acc(exp, prefix) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT CAST(substr(name, length('%s') + 8) AS INTEGER) AS r, 100 * avg(value), \
         100 * min(value), 100 * max(value) \
  FROM latest_metrics WHERE chapter = '02-shifted-mnist' AND experiment = '%s' \
  AND name LIKE '%s/shift=%%' GROUP BY name ORDER BY r\"", db, prefix, exp, prefix)

set grid
set xlabel 'shift max(|dy|, |dx|) (pixels)'
set ylabel 'accuracy on t4 (%)'
set xtics 1
set xrange [-0.3:4.3]
# Each series a little to the side, so that error bars at the same shift do not overlap.
set yrange [0:100]
set key outside below center horizontal samplen 2 width 1
set bmargin 6
plot acc('clean', 'acc/t4') using ($1-0.08):2:3:4 with yerrorlines lw 2 lc rgb '#1f77b4' pt 7 ps 0.6 title 'clean MLP', \
     acc('clean', 'acc/t4/recentred') using ($1-0.04):2:3:4 with yerrorlines lw 2 lc rgb '#2ca02c' pt 5 ps 0.6 title 'clean MLP, recentred', \
     acc('fix-t4', 'acc/t4') using 1:2:3:4 with yerrorlines lw 2 lc rgb '#d62728' pt 9 ps 0.6 title 'MLP trained with shifts', \
     acc('all-variants', 'acc/t4') using ($1+0.04):2:3:4 with yerrorlines lw 2 lc rgb '#9467bd' dt 2 pt 6 ps 0.6 title 'all-variants model', \
     acc('cnn', 'acc/t4') using ($1+0.08):2:3:4 with yerrorlines lw 2 lc rgb '#ff7f0e' pt 13 ps 0.7 title 'CNN (clean training)'
