# Question 3: the losses while Adam minimises them from the cat, mean over the pairs, first
# seed. Left: the question's losses (prediction yhat = softmax) and two forms of A, as
# loss + 2 (every one of them is at least -2, so this is positive) on a log scale. Right: C
# and D with yhat = the logits, as -loss: they fall without bound.
# Set by the Makefile: terminal, output, and `db` (the results database).

q(v) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT e.step, e.loss FROM epochs e \
  WHERE e.run_id = (SELECT id FROM latest_runs WHERE chapter = '07-quiz' AND experiment = 'losses' ORDER BY seed LIMIT 1) \
    AND e.split = '%s' ORDER BY e.step\"", db, v)

set xlabel 'Adam steps'
set grid
set logscale y
set format y '10^{%L}'
set multiplot layout 1, 2 margins screen 0.1, 0.98, 0.3, 0.96 spacing screen 0.11
set ylabel 'loss + 2'
set key below vertical maxrows 3 samplen 2 width -2
plot q('A') using 1:($2+2) with lines lw 2 lc rgb '#1f77b4' title 'A', \
     q('B') using 1:($2+2) with lines lw 2 lc rgb '#ff7f0e' title 'B', \
     q('C') using 1:($2+2) with lines lw 2 lc rgb '#2ca02c' title 'C', \
     q('D') using 1:($2+2) with lines lw 2 lc rgb '#d62728' title 'D', \
     q('A-xent') using 1:($2+2) with lines lw 2 dt 2 lc rgb '#1f77b4' title 'A, x-entropy', \
     q('A-w100') using 1:($2+2) with lines lw 2 dt 3 lc rgb '#1f77b4' title 'A, 100x'
set ylabel '-loss'
set key below vertical maxrows 3 samplen 2 width -2
plot q('C-logits') using 1:(-$2) with lines lw 2 lc rgb '#2ca02c' title 'C, logits', \
     q('D-logits') using 1:(-$2) with lines lw 2 dt 2 lc rgb '#d62728' title 'D, logits'
unset multiplot
