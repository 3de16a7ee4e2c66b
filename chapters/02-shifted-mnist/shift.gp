# Accuracy on the translated test set t4 as a function of the size of the shift,
# max(|dy|, |dx|) in pixels: the clean model (mean over seeds, min-max as error bars), the
# same model on recentred images, and the model trained with random translations.
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
set yrange [0:100]
set key bottom left
plot acc('clean', 'acc/t4') using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.6 title 'clean model', \
     acc('clean', 'acc/t4/recentred') using 1:2:3:4 with yerrorlines lw 2 pt 5 ps 0.6 title 'clean model, images recentred', \
     acc('fix-t4', 'acc/t4') using 1:2 with linespoints lw 2 pt 9 ps 0.6 title 'trained with random shifts (fix-t4)', \
     acc('all-variants', 'acc/t4') using 1:2 with linespoints lw 2 dt 2 pt 6 ps 0.6 title 'all-variants model'
