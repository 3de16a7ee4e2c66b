# The fine-tunes' curves: test accuracy of model A's two fine-tuned copies against the
# training images seen, on clean test images (solid) and under untargeted PGD at the
# chapter's eps on the first test images (dashed); epoch 0 is model A itself.
# Set by the Makefile: terminal, output, and `db` (the results database).

curve(exp, split) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.epoch * json_extract(r.config_json, '$.ft_n'), 100 * e.accuracy \
  FROM epochs e JOIN latest_runs r ON r.id = e.run_id \
  WHERE r.id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = '%s') \
    AND e.split = '%s' ORDER BY e.epoch\"", db, exp, split)

set xlabel 'training images seen while fine-tuning'
set ylabel 'test accuracy (%)'
set yrange [0:105]
set key outside right center
set grid
set style line 1 lc rgb '#1f77b4' lw 2 pt 7
set style line 2 lc rgb '#1f77b4' lw 2 pt 6 dt 2
set style line 3 lc rgb '#d62728' lw 2 pt 5
set style line 4 lc rgb '#d62728' lw 2 pt 4 dt 2

plot curve('finetune-clean', 'test')     using 1:2 with linespoints ls 1 title "clean fine-tune, clean", \
     curve('finetune-clean', 'test-pgd') using 1:2 with linespoints ls 2 title "clean fine-tune, under PGD", \
     curve('finetune-adv', 'test')       using 1:2 with linespoints ls 3 title "adversarial, clean", \
     curve('finetune-adv', 'test-pgd')   using 1:2 with linespoints ls 4 title "adversarial, under PGD"
