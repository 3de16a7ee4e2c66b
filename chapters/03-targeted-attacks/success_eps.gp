# Success rate against the L-infinity radius eps over every attacked test '2', on model A:
# targeted (classified as '6') for FGSM, FGSM without clipping to [0, 1] (a control, not an
# image) and PGD; untargeted (classified as anything but '2') for the untargeted versions.
# Transfer to model B has its own figure (transfer_eps.gp).
# Set by the Makefile: terminal, output, and `db` (the results database).

rate(exp, method) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT a.eps, 100.0 * avg(a.success) FROM attacks a \
  WHERE a.run_id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = '%s') \
    AND a.method = '%s' GROUP BY a.eps ORDER BY a.eps\"", db, exp, method)

set xlabel 'eps (L-infinity radius, pixels in [0, 1])'
set ylabel 'success rate (%)'
set yrange [0:105]
set xrange [0.04:0.31]
set key outside right center
set grid
set style line 1 lc rgb '#1f77b4' lw 2 pt 7
set style line 2 lc rgb '#d62728' lw 2 pt 5
set style line 3 lc rgb '#1f77b4' lw 1.5 dt 2 pt 6
set style line 4 lc rgb '#d62728' lw 1.5 dt 2 pt 4
set style line 5 lc rgb '#2ca02c' lw 1.5 dt 3 pt 9

plot rate('attacks', 'fgsm')            using 1:2 with linespoints ls 1 title "FGSM, 2 to 6", \
     rate('attacks', 'pgd')             using 1:2 with linespoints ls 2 title "PGD, 2 to 6", \
     rate('attacks', 'fgsm-untargeted') using 1:2 with linespoints ls 3 title "FGSM, untargeted", \
     rate('attacks', 'pgd-untargeted')  using 1:2 with linespoints ls 4 title "PGD, untargeted", \
     rate('attacks', 'fgsm-unclipped')  using 1:2 with linespoints ls 5 title "FGSM 2 to 6, unclipped"
