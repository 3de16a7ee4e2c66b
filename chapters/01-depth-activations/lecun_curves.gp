# Part (D): test error after every epoch of tanh, LeCun's scaled tanh, its two halves
# (tanh + 0.01x; 1.7159 tanh(2x/3)) and LeCun's at tanh's effective learning rate, one panel
# per depth. Error (100 - accuracy, in %) on a log scale, shared by the panels: it spreads
# out the 90-99% accuracy range where the curves would overlap, and still shows a fall to
# chance. Median over seeds, error bars from the seeds' minimum to maximum; the curves are
# shifted sideways a little so that their error bars do not hide each other.
# Set by the Makefile: terminal, output, and `db` (the results database).

err(depth, exp) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, 100 * (1 - median_accuracy), 100 * (1 - max_accuracy), 100 * (1 - min_accuracy) \
  FROM latest_epoch_summary \
  WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-%s' AND split = 'test' \
  ORDER BY epoch\"", db, depth, exp)
epochs = system(sprintf("sqlite3 -readonly '%s' \"SELECT max(epoch) FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND split = 'test'\"", db)) + 0

set grid
unset key
set logscale y
set yrange [1:100]
set ytics (1, 2, 5, 10, 20, 50, 100)
set xrange [0.5:epochs + 0.5]
set xtics 1, (epochs > 8 ? 2 : 1), epochs
set style line 1 lc rgb '#ff7f0e' lw 1.5 pt 5 ps 0.45
set style line 2 lc rgb '#8c564b' lw 1.2 pt 4 ps 0.5 dt 2
set style line 3 lc rgb '#9467bd' lw 1.2 pt 12 ps 0.6 dt 2
set style line 4 lc rgb '#d62728' lw 1.5 pt 13 ps 0.55
set style line 5 lc rgb '#17becf' lw 1.5 pt 11 ps 0.55 dt 4
# Three equal plot areas side by side, and a strip at the bottom for one shared key.
L = 0.1; R = 0.985; G = 0.06; W = (R - L - 2 * G) / 3
set bmargin at screen 0.27
set tmargin at screen 0.91
set multiplot
depths = '5 20 40'
do for [i = 1:3] {
    d = int(word(depths, i))
    set lmargin at screen L + (i - 1) * (W + G)
    set rmargin at screen L + (i - 1) * (W + G) + W
    set title sprintf('%d hidden layers', d)
    set xlabel 'epoch'
    if (i == 1) { set ylabel 'test error (%)'; set format y '%g' } else { unset ylabel; set format y '' }
    plot err(d, 'tanh')                    using ($1 - 0.2):2:3:4 with yerrorlines ls 1 notitle, \
         err(d, 'tanh_linear')             using ($1 - 0.1):2:3:4 with yerrorlines ls 2 notitle, \
         err(d, 'scaled_tanh')             using ($1 + 0.0):2:3:4 with yerrorlines ls 3 notitle, \
         err(d, 'lecun_tanh')              using ($1 + 0.1):2:3:4 with yerrorlines ls 4 notitle, \
         err(d, 'lecun_tanh-matched_lr')   using ($1 + 0.2):2:3:4 with yerrorlines ls 5 notitle
}
# The shared key, in two rows under the panels (an empty plot that only draws its key).
unset border; unset tics; unset xlabel; unset ylabel; unset title; unset grid; unset logscale
set offsets 0, 0, 0, 0
set lmargin at screen 0; set rmargin at screen 1; set bmargin at screen 0; set tmargin at screen 0.13
set xrange [0:1]; set yrange [0:1]
set key center center horizontal maxrows 2 samplen 2
plot 2 notitle, \
     keyentry with yerrorlines ls 1 title 'tanh', \
     keyentry with yerrorlines ls 2 title 'tanh + 0.01x', \
     keyentry with yerrorlines ls 3 title '1.7159 tanh(2x/3)', \
     keyentry with yerrorlines ls 4 title 'LeCun', \
     keyentry with yerrorlines ls 5 title 'LeCun, rate / 1.31'
unset multiplot
