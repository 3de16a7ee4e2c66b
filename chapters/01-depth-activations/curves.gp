# Part (B): test accuracy after every epoch of the ReLU, tanh and sigmoid networks, one
# panel per depth. Mean over seeds, error bars from the seeds' minimum to maximum.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(depth, act) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * avg(accuracy), 100 * min(accuracy), 100 * max(accuracy) \
  FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' AND split = 'test' \
  GROUP BY epoch ORDER BY epoch\"", db, depth, act)

set grid
set yrange [0:100]
set style line 1 lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.35
set style line 2 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.35
set style line 3 lc rgb '#2ca02c' lw 1.5 pt 9 ps 0.4
set multiplot layout 1, 3 title 'test accuracy per epoch'
depths = '5 20 40'
do for [i = 1:3] {
    d = int(word(depths, i))
    set title sprintf('%d hidden layers', d)
    set xlabel 'epoch'
    if (i == 1) { set ylabel 'test accuracy (%)'; set key bottom right } else { unset ylabel; unset key }
    plot curve(d, 'relu')    using 1:2:3:4 with yerrorlines ls 1 title 'ReLU', \
         curve(d, 'tanh')    using 1:2:3:4 with yerrorlines ls 2 title 'tanh', \
         curve(d, 'sigmoid') using 1:2:3:4 with yerrorlines ls 3 title 'sigmoid'
}
unset multiplot
