# Transfer to model B against eps, on its own scale: the share of model A's adversarials that
# model B reads as '6' (targeted FGSM and PGD) or as anything but '2' (untargeted FGSM and
# PGD). The attacks on A itself are in success_eps.gp.
# Set by the Makefile: terminal, output, and `db` (the results database).

rate(method) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT a.eps, 100.0 * avg(a.success) FROM attacks a \
  WHERE a.run_id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = 'transfer') \
    AND a.method = '%s' GROUP BY a.eps ORDER BY a.eps\"", db, method)

set xlabel 'eps (L-infinity radius, pixels in [0, 1])'
set ylabel 'success on model B (%)'
set yrange [0:*]
set xrange [0.04:0.31]
set key outside right center
set grid
set style line 1 lc rgb '#1f77b4' lw 2 pt 7
set style line 2 lc rgb '#d62728' lw 2 pt 5
set style line 3 lc rgb '#1f77b4' lw 1.5 dt 2 pt 6
set style line 4 lc rgb '#d62728' lw 1.5 dt 2 pt 4

plot rate('fgsm')            using 1:2 with linespoints ls 1 title "FGSM, 2 to 6", \
     rate('pgd')             using 1:2 with linespoints ls 2 title "PGD, 2 to 6", \
     rate('fgsm-untargeted') using 1:2 with linespoints ls 3 title "FGSM, untargeted", \
     rate('pgd-untargeted')  using 1:2 with linespoints ls 4 title "PGD, untargeted"
