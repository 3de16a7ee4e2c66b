# Question 2: counting error against the number of training images, for the end-to-end
# counter (A) and the detect-then-count pipeline (B, two counting rules). Points: mean over
# seeds; error bars: the seeds' minimum to maximum. B is drawn slightly to the right.
# Set by the Makefile: terminal, output, and `db` (the results database).

q(pat, metric, shift) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT %g * json_extract(r.config_json, '$.train_images') AS n, avg(m.value), min(m.value), max(m.value) \
  FROM latest_runs r JOIN metrics m ON m.run_id = r.id \
  WHERE r.chapter = '07-quiz' AND r.experiment LIKE '%s' AND m.name = '%s' \
  GROUP BY n ORDER BY n\"", db, shift, pat, metric)

set logscale x
set xlabel 'training images'
set grid
set autoscale xfix
set offsets graph 0.08, graph 0.08, 0, 0
set style line 1 lc rgb '#1f77b4' lw 2 pt 7
set style line 2 lc rgb '#d62728' lw 2 pt 5
set style line 3 lc rgb '#2ca02c' lw 2 pt 9
set multiplot layout 1, 2 margins screen 0.1, 0.98, 0.3, 0.96 spacing screen 0.11
set ylabel 'mean absolute count error'
set yrange [0:*]
set key below vertical maxrows 3 samplen 2 width -2
plot q('count-A-%', 'count_mae', 1.0) using 1:2:3:4 with yerrorlines ls 1 title 'A: image to count', \
     q('count-B-%', 'count_mae', 1.08) using 1:2:3:4 with yerrorlines ls 2 title 'B: marked cells', \
     q('count-B-%', 'count_mae_sum', 1.16) using 1:2:3:4 with yerrorlines ls 3 title 'B: sum of p'
set ylabel 'exact count (% of test images)'
set yrange [0:100]
set key below vertical maxrows 3 samplen 2 width -2
plot q('count-A-%', 'count_exact', 1.0) using 1:($2*100):($3*100):($4*100) with yerrorlines ls 1 title 'A', \
     q('count-B-%', 'count_exact', 1.08) using 1:($2*100):($3*100):($4*100) with yerrorlines ls 2 title 'B: cells', \
     q('count-B-%', 'count_exact_sum', 1.16) using 1:($2*100):($3*100):($4*100) with yerrorlines ls 3 title 'B: sum'
unset multiplot
