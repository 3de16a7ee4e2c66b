# Where the sigmoid's units sit: the mean output of every hidden layer over the first
# training images, before training (epoch 0) and after every epoch, one panel per depth,
# one line per hidden layer coloured from the first (dark) to the last (light). Median
# over seeds. Glorot and Bengio (2010, Figure 2) plotted the same quantity for their deep
# sigmoid network: its top hidden layer fell to 0 early and recovered only slowly.
# Set by the Makefile: terminal, output, and `db` (the results database).

means(depth, layer) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT epoch, avg(value) FROM ( \
    SELECT epoch, value, \
           row_number() OVER (PARTITION BY epoch ORDER BY value) AS rn, \
           count(*) OVER (PARTITION BY epoch) AS n \
    FROM latest_layer_stats \
    WHERE chapter = '01-depth-activations' AND experiment = 'depth%d-sigmoid' \
      AND name = 'mean_output' AND layer = %d) \
  WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY epoch ORDER BY epoch\"", db, depth, layer)
epochs = system(sprintf("sqlite3 -readonly '%s' \"SELECT max(epoch) FROM latest_epochs \
  WHERE chapter = '01-depth-activations' AND split = 'test'\"", db)) + 0

set grid
unset key
set yrange [0:1]
set ytics 0, 0.25, 1
set xrange [-0.5:epochs + 0.5]
set xtics 0, (epochs > 8 ? 3 : 1), epochs
set palette defined (0 '#08306b', 0.5 '#2ca02c', 1 '#ffd92f')
set cbrange [0:1]
L = 0.1; R = 0.9; G = 0.05; W = (R - L - 2 * G) / 3
set bmargin at screen 0.2
set tmargin at screen 0.91
set multiplot
depths = '5 20 40'
do for [i = 1:3] {
    d = int(word(depths, i))
    set lmargin at screen L + (i - 1) * (W + G)
    set rmargin at screen L + (i - 1) * (W + G) + W
    set title sprintf('%d hidden layers', d)
    set xlabel 'epoch (0 = untrained)'
    if (i == 1) { set ylabel 'mean sigmoid output'; set format y '%g' } else { unset ylabel; set format y '' }
    if (i == 3) {
        set colorbox user origin screen R + 0.0, screen 0.2 size screen 0.012, screen 0.71
        set cbtics ('first' 0, 'last' 1) scale 0
        set cblabel 'hidden layer' offset -1
    } else { unset colorbox }
    plot for [l = 1:d] means(d, l) using 1:2:((l - 1.0) / (d - 1)) with lines lw 1.5 \
         lc palette notitle
}
unset multiplot
