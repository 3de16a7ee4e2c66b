# Share of the non-trivial (source != target) pairs whose generator reached its target, against
# the rounds it took: MSE composite loss on the fully connected and the convolutional model,
# and cross-entropy on the convolutional model, over the whole round budget.
ch = '05-generator-attacks'
run(exp) = sprintf("(SELECT max(id) FROM latest_runs WHERE chapter = '%s' AND experiment = '%s')", ch, exp)
curve(exp, method) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT 0, 0 UNION ALL SELECT steps, 100.0 * row_number() OVER (ORDER BY steps, sample, target) / \
    (SELECT count(*) FROM attacks WHERE run_id = %s AND method = '%s' AND target != source) \
  FROM attacks WHERE run_id = %s AND method = '%s' AND success = 1 AND target != source ORDER BY 1, 2\"", \
  db, run(exp), method, run(exp), method)
budget = real(system(sprintf("sqlite3 -readonly '%s' \"SELECT json_extract(config_json, '$.max_rounds') FROM runs WHERE id = %s\"", db, run('gen-conv'))))
set xrange [0:budget]
set xlabel 'rounds (one Adam step towards the image, one towards the target)'
set ylabel 'pairs that reached the target (%)'
set yrange [0:105]
set key bottom right
set grid
plot curve('gen-fc', 'generator') using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'fully connected, MSE', \
     curve('gen-conv', 'generator') using 1:2 with steps lw 2 lc rgb '#d62728' title 'convolutional, MSE', \
     curve('gen-conv-xent', 'generator-xent') using 1:2 with steps lw 2 dt 2 lc rgb '#d62728' title 'convolutional, cross-entropy'
