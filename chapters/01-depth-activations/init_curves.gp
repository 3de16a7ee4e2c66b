# The fixes: test accuracy after every epoch of ReLU and tanh networks with Keras' default
# Glorot-uniform weights (solid) and with the initialisation made for each (dashed: He's
# for ReLU, LeCun's for tanh), one column per depth. Top row: the whole range; bottom row: the same curves zoomed to 90-100%,
# where the networks that learn overlap. Median over seeds, error bars from the seeds'
# minimum to maximum; the rows share their y range across the columns.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(depth, act) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * median_accuracy, 100 * min_accuracy, 100 * max_accuracy \
  FROM latest_epoch_summary \
  WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' AND split = 'test' \
  ORDER BY epoch\"", db, depth, act)
epochs = system(sprintf("sqlite3 -readonly '%s' \"SELECT max(epoch) FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND split = 'test'\"", db)) + 0

set grid
unset key
set style line 1 lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.45
set style line 2 lc rgb '#1f77b4' lw 1.5 pt 6 ps 0.45 dt 2
set style line 3 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.45
set style line 4 lc rgb '#ff7f0e' lw 1.5 pt 4 ps 0.45 dt 2
set xrange [0.5:epochs + 0.5]
set xtics 1, (epochs > 8 ? 2 : 1), epochs
# Three columns, two rows, and a strip at the bottom for one shared key.
L = 0.1; R = 0.985; G = 0.06; W = (R - L - 2 * G) / 3
set multiplot
depths = '5 20 40'
do for [row = 1:2] {
    if (row == 1) {
        set tmargin at screen 0.93; set bmargin at screen 0.62
        set yrange [0:100]; set ytics 0, 20, 100; set format x ''; unset xlabel
    } else {
        set tmargin at screen 0.55; set bmargin at screen 0.23
        set yrange [90:100]; set ytics 90, 2, 100; set format x '%g'; set xlabel 'epoch'
    }
    do for [i = 1:3] {
        d = int(word(depths, i))
        set lmargin at screen L + (i - 1) * (W + G)
        set rmargin at screen L + (i - 1) * (W + G) + W
        if (row == 1) { set title sprintf('%d hidden layers', d) } else { unset title }
        if (i == 1) { set ylabel (row == 1 ? 'test accuracy (%)' : 'zoom: 90-100%') } else { unset ylabel }
        if (i > 1) { set format y '' } else { set format y '%g' }
        plot curve(d, 'relu')              using 1:2:3:4 with yerrorlines ls 1 notitle, \
             curve(d, 'relu-he_normal')    using 1:2:3:4 with yerrorlines ls 2 notitle, \
             curve(d, 'tanh')              using 1:2:3:4 with yerrorlines ls 3 notitle, \
             curve(d, 'tanh-lecun_normal') using 1:2:3:4 with yerrorlines ls 4 notitle
    }
}
# The shared key, in one row under the panels (an empty plot that only draws its key).
unset border; unset tics; unset xlabel; unset ylabel; unset title; unset grid; unset logscale
set offsets 0, 0, 0, 0
set lmargin at screen 0; set rmargin at screen 1; set bmargin at screen 0; set tmargin at screen 0.08
set xrange [0:1]; set yrange [0:1]
set key center center horizontal maxrows 1 samplen 2
plot 2 notitle, \
     keyentry with yerrorlines ls 1 title 'ReLU, Glorot', \
     keyentry with yerrorlines ls 2 title 'ReLU, He', \
     keyentry with yerrorlines ls 3 title 'tanh, Glorot', \
     keyentry with yerrorlines ls 4 title 'tanh, LeCun'
unset multiplot
