# The fixes: test accuracy after every epoch of ReLU and tanh networks with Keras' default
# Glorot-uniform weights (solid) and with the initialisation made for each (dashed: He's
# for ReLU, LeCun's for tanh), one panel per depth. Mean over seeds, error bars from the
# seeds' minimum to maximum.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(depth, exp) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * avg(accuracy), 100 * min(accuracy), 100 * max(accuracy) \
  FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' AND split = 'test' \
  GROUP BY epoch ORDER BY epoch\"", db, depth, exp)

set grid
unset key
set yrange [0:100]
set style line 1 lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.35
set style line 2 lc rgb '#1f77b4' lw 1.5 pt 6 ps 0.35 dt 2
set style line 3 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.35
set style line 4 lc rgb '#ff7f0e' lw 1.5 pt 4 ps 0.35 dt 2
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
    if (i == 1) { set ylabel 'test accuracy (%)' } else { unset ylabel }
    plot curve(d, 'relu')              using 1:2:3:4 with yerrorlines ls 1 notitle, \
         curve(d, 'relu-he_normal')    using 1:2:3:4 with yerrorlines ls 2 notitle, \
         curve(d, 'tanh')              using 1:2:3:4 with yerrorlines ls 3 notitle, \
         curve(d, 'tanh-lecun_normal') using 1:2:3:4 with yerrorlines ls 4 notitle
}
unset border; unset tics; unset xlabel; unset ylabel; unset title; unset grid; unset logscale
set offsets 0, 0, 0, 0
set lmargin at screen 0; set rmargin at screen 1; set bmargin at screen 0; set tmargin at screen 0.09
set xrange [0:1]; set yrange [0:1]
set key center center horizontal maxrows 1 samplen 2
plot 2 notitle, \
     keyentry with yerrorlines ls 1 title 'ReLU, Glorot', \
     keyentry with yerrorlines ls 2 title 'ReLU, He', \
     keyentry with yerrorlines ls 3 title 'tanh, Glorot', \
     keyentry with yerrorlines ls 4 title 'tanh, LeCun'
unset multiplot
