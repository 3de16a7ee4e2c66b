# How large a change turns a '2' into a '6': for each method, the share of attacked 2s that
# became a 6 with a perturbation of L2 norm at most r (failures never count, so a curve
# ends at the method's success rate).
# Set by the Makefile: terminal, output, and `db` (the results database).

cdf(method, cond) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  WITH run AS (SELECT max(id) AS id FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = 'attacks'), \
       tried AS (SELECT a.* FROM attacks a, run WHERE a.run_id = run.id AND a.method = '%s' AND %s) \
  SELECT l2, 100.0 * row_number() OVER (ORDER BY l2) / (SELECT count(*) FROM tried) \
  FROM tried WHERE success = 1 ORDER BY l2\"", db, method, cond)

q1(sql) = system(sprintf("sqlite3 -readonly '%s' \"%s\"", db, sql))
epsg = q1("SELECT json_extract(config_json, '$.eps_grid') FROM latest_runs WHERE id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = 'attacks')")
epsmax = q1("SELECT max(eps) FROM attacks WHERE method = 'pgd' AND run_id = (SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = 'attacks')")

set xlabel 'L2 norm of the perturbation'
set ylabel 'turned into a 6 (%)'
set yrange [0:105]
set xrange [0:*]
set key bottom right
set grid
set style line 1 lc rgb '#2ca02c' lw 2.5
set style line 2 lc rgb '#d62728' lw 2
set style line 3 lc rgb '#ff7f0e' lw 2 dt 2

plot cdf('cw', '1')             using 1:2 with steps ls 1 title 'Carlini-Wagner L2', \
     cdf('pgd', 'eps = '.epsg)   using 1:2 with steps ls 2 title 'PGD, eps = '.epsg, \
     cdf('pgd', 'eps = '.epsmax) using 1:2 with steps ls 3 title 'PGD, eps = '.epsmax
