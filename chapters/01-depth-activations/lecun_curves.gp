# Part (D): learning curves of tanh against LeCun's scaled tanh, one panel per depth, as
# error rates (100 - accuracy, in %) on a log scale, so that both a collapse to chance and
# the last fraction of a percent show. Points: test error after each epoch; thin lines:
# training error over each window of optimiser steps (split 'train_window', e.g. every
# 100 steps), x in epochs. Mean over seeds; error bars and the shaded band span the seeds'
# minimum to maximum.
# Set by the Makefile: terminal, output, and `db` (the results database).

epochs(depth, act) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * (1 - avg(accuracy)), 100 * (1 - max(accuracy)), 100 * (1 - min(accuracy)) \
  FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' AND split = 'test' \
  GROUP BY epoch ORDER BY epoch\"", db, depth, act)
window(depth, act) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.step * 1.0 / (SELECT f.step FROM epochs f \
                         WHERE f.run_id = e.run_id AND f.split = 'train' AND f.epoch = 1), \
         100 * (1 - avg(e.accuracy)), 100 * (1 - max(e.accuracy)), 100 * (1 - min(e.accuracy)) \
  FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.chapter = '01-depth-activations' AND r.experiment = 'depth%d-%s' \
    AND e.split = 'train_window' \
  GROUP BY e.step ORDER BY e.step\"", db, depth, act)

set grid
unset key
set logscale y
set yrange [0.1:100]
set xtics 5
set style line 2 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.35
set style line 4 lc rgb '#d62728' lw 1.5 pt 7 ps 0.35
set style line 12 lc rgb '#ff7f0e' lw 0.6
set style line 14 lc rgb '#d62728' lw 0.6
set style fill transparent solid 0.18 noborder
# Three equal plot areas side by side, and a strip at the bottom for one shared key.
L = 0.1; R = 0.985; G = 0.085; W = (R - L - 2 * G) / 3
set bmargin at screen 0.24
set tmargin at screen 0.91
set multiplot
depths = '5 20 40'
do for [i = 1:3] {
    d = int(word(depths, i))
    set lmargin at screen L + (i - 1) * (W + G)
    set rmargin at screen L + (i - 1) * (W + G) + W
    set title sprintf('%d hidden layers', d)
    set xlabel 'epoch'
    if (i == 1) { set ylabel 'error (%)' } else { unset ylabel }
    plot window(d, 'tanh')       using 1:3:4 with filledcurves lc rgb '#ff7f0e' notitle, \
         window(d, 'lecun_tanh') using 1:3:4 with filledcurves lc rgb '#d62728' notitle, \
         window(d, 'tanh')       using 1:2 with lines ls 12 notitle, \
         window(d, 'lecun_tanh') using 1:2 with lines ls 14 notitle, \
         epochs(d, 'tanh')       using 1:2:3:4 with yerrorlines ls 2 notitle, \
         epochs(d, 'lecun_tanh') using 1:2:3:4 with yerrorlines ls 4 notitle
}
# The shared key, in one row under the panels (an empty plot that only draws its key).
unset border; unset tics; unset xlabel; unset ylabel; unset title; unset grid; unset logscale
set offsets 0, 0, 0, 0
set lmargin at screen 0; set rmargin at screen 1; set bmargin at screen 0; set tmargin at screen 0.09
set xrange [0:1]; set yrange [0:1]
set key center center horizontal maxrows 1 samplen 2
plot 2 notitle, \
     keyentry with lines ls 12 title 'tanh, training (windows)', \
     keyentry with lines ls 14 title 'LeCun, training (windows)', \
     keyentry with yerrorlines ls 2 title 'tanh, test', \
     keyentry with yerrorlines ls 4 title 'LeCun, test'
unset multiplot
