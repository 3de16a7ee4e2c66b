# Question 1: a step of L2 length s against dL/dx changes the loss by -s ||dL/dx|| to first
# order. Measured change over predicted change against s, one curve per test image (the
# first of each digit), for the first seed's classifier.
# Set by the Makefile: terminal, output, and `db` (the results database).

run = "(SELECT id FROM latest_runs WHERE chapter = '07-quiz' AND experiment = 'saliency' ORDER BY seed LIMIT 1)"
n = int(system(sprintf("sqlite3 -readonly '%s' \"SELECT value FROM metrics WHERE name = 'images' AND run_id = %s\"", db, run)))
ratio(k) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT l.value, me.value / pr.value FROM metrics l \
  JOIN metrics pr ON pr.run_id = l.run_id AND pr.name = replace(l.name, 'length', 'predicted') \
  JOIN metrics me ON me.run_id = l.run_id AND me.name = replace(l.name, 'length', 'measured') \
  WHERE l.run_id = %s AND l.name LIKE 'step/i%02d/%%/length' ORDER BY l.value\"", db, run, k)

set logscale x
set format x '10^{%L}'
set xlabel 'step length ||x_{new} - x|| (pixels in [0, 1])'
set ylabel 'measured / predicted change of the loss'
set yrange [0:1.08]
set key outside right center title 'digit'
set grid
plot for [k=0:n-1] ratio(k) using 1:2 with linespoints lw 1.5 pt 7 ps 0.6 title sprintf('%d', k), \
     1 with lines lc rgb '#888888' dt 2 notitle
