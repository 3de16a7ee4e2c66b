# The fixes: largest absolute weight gradient of every dense layer after 3 epochs, on the
# fixed probe mini-batch, for ReLU and tanh with Keras' default Glorot-uniform weights
# (solid) and with the initialisation made for each (dashed: He's for ReLU, LeCun's for
# tanh); one panel per depth. Median over seeds (geometric mean of the middle two for an even count), error
# bars from the seeds' minimum to maximum. The panels share one y range. Values below
# FLOOR, including the exact zeros below a layer whose units are all dead, are drawn at
# FLOOR (the caption says so): a log axis cannot show 0, and nothing of interest is smaller.
# Set by the Makefile: terminal, output, and `db` (the results database).

epoch = 3
FLOOR = 1e-30
grad(depth, act) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT l, exp(avg(lg)), exp(min(lo)), exp(min(hi)) FROM ( \
    SELECT l, lg, row_number() OVER (PARTITION BY l ORDER BY lg) AS rn, \
           count(*) OVER (PARTITION BY l) AS n, \
           min(lg) OVER (PARTITION BY l) AS lo, max(lg) OVER (PARTITION BY l) AS hi \
    FROM (SELECT CAST(substr(layer_name, 6) AS INTEGER) AS l, ln(max(max_abs, %g)) AS lg \
          FROM latest_grad_stats \
          WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' \
            AND kind = 'weight' AND epoch = %d)) \
  WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY l ORDER BY l\"", db, FLOOR, depth, act, epoch)

set logscale y
set format y '10^{%T}'
set yrange [FLOOR / 10 : 10]
set ytics 1e-30, 1e5, 1
set grid
unset key
set style line 1 lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.45
set style line 2 lc rgb '#1f77b4' lw 1.5 pt 6 ps 0.45 dt 2
set style line 3 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.45
set style line 4 lc rgb '#ff7f0e' lw 1.5 pt 4 ps 0.45 dt 2
# Three equal plot areas side by side, and a strip at the bottom for one shared key.
L = 0.1; R = 0.985; G = 0.06; W = (R - L - 2 * G) / 3
set bmargin at screen 0.24
set tmargin at screen 0.91
set multiplot
depths = '5 20 40'
do for [i = 1:3] {
    d = int(word(depths, i))
    set lmargin at screen L + (i - 1) * (W + G)
    set rmargin at screen L + (i - 1) * (W + G) + W
    set title sprintf('%d hidden layers', d)
    set xlabel 'dense layer (1 = input side)'
    if (i == 1) { set ylabel 'max |dL/dW|'; set format y '10^{%T}' } else { unset ylabel; set format y '' }
    set xrange [0.5:d + 1.5]
    set xtics 1, (d > 10 ? 10 : 1), d + 1
    plot grad(d, 'relu')              using 1:2:3:4 with yerrorlines ls 1 notitle, \
         grad(d, 'relu-he_normal')    using 1:2:3:4 with yerrorlines ls 2 notitle, \
         grad(d, 'tanh')              using 1:2:3:4 with yerrorlines ls 3 notitle, \
         grad(d, 'tanh-lecun_normal') using 1:2:3:4 with yerrorlines ls 4 notitle
}
# The shared key, in one row under the panels (an empty plot that only draws its key).
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
