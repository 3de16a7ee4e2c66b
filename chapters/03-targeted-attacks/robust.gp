# Adversarial training from scratch: accuracy under untargeted PGD against the radius of the
# attack, for the small network trained in each way (mean over seeds; bars from the lowest to
# the highest seed). Left: FGSM training (Goodfellow et al.); right: PGD training (Madry et
# al.), with the run without the radius ramp. The standard network is in both panels.
# Set by the Makefile: terminal, output, and `db` (the results database).

acc(exp) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT CAST(substr(m.name, 14) AS REAL), 100 * avg(m.value), 100 * min(m.value), 100 * max(m.value) \
  FROM metrics m JOIN latest_runs r ON r.id = m.run_id \
  WHERE r.chapter = '03-targeted-attacks' AND r.experiment = '%s' AND m.name LIKE 'pgd_accuracy@%%' \
  GROUP BY m.name ORDER BY 1\"", db, exp)

set xlabel 'eps of the attack'
set ylabel 'accuracy under PGD (%)'
set yrange [0:100]
set xrange [0.07:0.33]
set xtics 0.1
set grid
set key top right font ',9'
set style line 1 lc rgb '#404040' lw 2 pt 7
set style line 2 lc rgb '#1f77b4' lw 2 pt 5
set style line 3 lc rgb '#2ca02c' lw 2 pt 9
set style line 4 lc rgb '#d62728' lw 2 pt 11
set style line 5 lc rgb '#d62728' lw 1.5 dt 2 pt 4

set multiplot layout 1, 2
set title 'FGSM training' font ',11'
plot acc('robust-standard') using 1:2:3:4 with yerrorlines ls 1 title 'standard', \
     acc('robust-fgsm-0.1') using 1:2:3:4 with yerrorlines ls 2 title 'trained at 0.1', \
     acc('robust-fgsm-0.2') using 1:2:3:4 with yerrorlines ls 3 title 'trained at 0.2', \
     acc('robust-fgsm-0.3') using 1:2:3:4 with yerrorlines ls 4 title 'trained at 0.3'
set title 'PGD training' font ',11'
unset ylabel
plot acc('robust-standard')       using 1:2:3:4 with yerrorlines ls 1 title 'standard', \
     acc('robust-pgd-0.1')        using 1:2:3:4 with yerrorlines ls 2 title 'trained at 0.1', \
     acc('robust-pgd-0.2')        using 1:2:3:4 with yerrorlines ls 3 title 'trained at 0.2', \
     acc('robust-pgd-0.3')        using 1:2:3:4 with yerrorlines ls 4 title 'trained at 0.3', \
     acc('robust-pgd-0.3-noramp') using 1:2:3:4 with yerrorlines ls 5 title '0.3, no ramp'
unset multiplot
