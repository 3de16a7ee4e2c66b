# The drops at 40 hidden layers (test accuracy falling between two epochs) against the
# size of the optimiser's steps. Left: the run with the largest fall of all the 40-layer
# runs, every window of its training (100 steps in the full profile): the largest gradient norm of the window's
# steps (with plain SGD a step moves the weights by the learning rate times it) and the
# window's mean training loss; the epoch of the fall is shaded. Right: every epoch of every
# 40-layer run that learns (median test accuracy above 20%): the change of test accuracy
# over the epoch against the largest gradient norm of the epoch's steps, as a multiple of
# the run's median step; runs with the gradient clipped to norm 20 in blue.
# Set by the Makefile: terminal, output, and `db` (the results database).

sql(q) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"%s\"", db, q)
ask(q) = system(sprintf("sqlite3 -readonly '%s' \"%s\"", db, q))

DEEP = "r.chapter = '01-depth-activations' AND json_extract(r.config_json, '$.depth') = 40"
# Every (run, epoch) fall of test accuracy at depth 40, largest first.
FALLS = "SELECT a.run_id AS run, b.epoch AS epoch, a.accuracy - b.accuracy AS fall \
  FROM epochs a JOIN epochs b ON b.run_id = a.run_id AND b.split = 'test' AND b.epoch = a.epoch + 1 \
  JOIN latest_runs r ON r.id = a.run_id WHERE ".DEEP." AND a.split = 'test' ORDER BY fall DESC, run"
worst_run = ask("SELECT run FROM (".FALLS.") LIMIT 1") + 0
worst_epoch = ask("SELECT epoch FROM (".FALLS.") LIMIT 1") + 0
worst_name = ask(sprintf("SELECT experiment || ', seed ' || seed FROM runs WHERE id = %d", worst_run))
per_epoch = ask(sprintf("SELECT step FROM epochs WHERE run_id = %d AND split = 'train' AND epoch = 1", worst_run)) + 0

grad_windows = sql(sprintf("SELECT step * 1.0 / %d, value FROM step_stats \
  WHERE run_id = %d AND name = 'window_grad_norm_max' ORDER BY step", per_epoch, worst_run))
loss_windows = sql(sprintf("SELECT step * 1.0 / %d, loss FROM epochs \
  WHERE run_id = %d AND split = 'train_window' ORDER BY step", per_epoch, worst_run))
# x: the epoch's largest step over the run's median step; y: change of test accuracy (points).
scatter(clipped) = sql(sprintf("SELECT max(s.value) / m.value, 100 * (b.accuracy - a.accuracy) \
  FROM latest_runs r JOIN metrics m ON m.run_id = r.id AND m.name = 'grad_norm_median' \
  JOIN epochs b ON b.run_id = r.id AND b.split = 'test' \
  JOIN epochs a ON a.run_id = r.id AND a.split = 'test' AND a.epoch = b.epoch - 1 \
  JOIN step_stats s ON s.run_id = r.id AND s.name = 'window_grad_norm_max' AND s.epoch = b.epoch \
  WHERE %s AND (json_extract(r.config_json, '$.clip_norm') > 0) = %d \
    AND r.experiment IN (SELECT experiment FROM latest_metric_summary \
                         WHERE chapter = '01-depth-activations' AND name = 'test_accuracy' \
                           AND median > 0.2) \
  GROUP BY r.id, b.epoch", DEEP, clipped))

set multiplot
set grid
# Left panel.
set lmargin at screen 0.09; set rmargin at screen 0.43
set tmargin at screen 0.86; set bmargin at screen 0.16
set title sprintf("largest fall: %s", worst_name) font ',11' noenhanced
set xlabel 'epoch'
set logscale y
set ylabel 'largest gradient norm per window'
set format y '10^{%T}'
set y2label 'mean training loss' offset -2
set y2tics nomirror
set ytics nomirror
set y2range [0:*]
set xrange [0:*]
set object 1 rect from worst_epoch - 1, graph 0 to worst_epoch, graph 1 behind fc rgb '#f2d0d0' fs solid noborder
set key bottom left samplen 1.5 font ',10' noopaque
plot grad_windows using 1:2 with lines lw 1 lc rgb '#1f77b4' title 'gradient norm', \
     loss_windows using 1:2 axes x1y2 with lines lw 1.5 lc rgb '#d62728' title 'loss'
unset object 1
unset y2label; unset y2tics; set ytics mirror
# Right panel.
set lmargin at screen 0.63; set rmargin at screen 0.985
set title 'every epoch, 40-layer runs that learn' font ',11'
set xlabel "epoch's largest step / run's median step"
set ylabel 'change of test accuracy (points)'
set logscale x
set format x '%g'
unset logscale y
set format y '%g'
set xrange [0.8:*]
set yrange [*:*]
set key bottom left samplen 1 font ',10' noopaque
plot scatter(0) using 1:2 with points pt 6 ps 0.6 lc rgb '#555555' title 'plain SGD', \
     scatter(1) using 1:2 with points pt 2 ps 0.6 lc rgb '#1f77b4' title 'gradient clipped to 20', \
     -10 with lines dt 2 lc rgb '#555555' title 'a drop: -10'
unset multiplot
