# The probabilities the convolutional model gives, round by round, for the pair of gen-conv
# whose generator took the most rounds (a failure whenever one failed): of the source digit,
# of the target, and of the class it predicts at the end.
ch = '05-generator-attacks'
run = sprintf("(SELECT max(id) FROM latest_runs WHERE chapter = '%s' AND experiment = 'gen-conv')", ch)
pick(col) = sprintf("(SELECT %s FROM attacks WHERE run_id = %s AND method = 'generator' AND target != source ORDER BY steps DESC, success, sample, target LIMIT 1)", col, run)
pair = pick('sample * 10 + target')
last = sprintf("(SELECT max(epoch) FROM epochs WHERE run_id = %s AND step = %s AND split = 'gen-target')", run, pair)
final = sprintf("(SELECT CAST(substr(split, 6) AS INTEGER) FROM epochs WHERE run_id = %s AND step = %s AND epoch = %s AND substr(split, 1, 5) = 'gen-p' ORDER BY accuracy DESC LIMIT 1)", run, pair, last)
prob(cls) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"SELECT epoch, accuracy FROM epochs WHERE run_id = %s AND step = %s AND split = 'gen-p' || %s ORDER BY epoch\"", db, run, pair, cls)
set xlabel 'round'
set ylabel 'probability'
set yrange [-0.02:1.02]
set key outside right center
set grid
plot prob(pick('source')) using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'source', \
     prob(pick('target')) using 1:2 with lines lw 2 lc rgb '#d62728' title 'target', \
     prob(final) using 1:2 with lines lw 2 dt 2 lc rgb '#2ca02c' title 'predicted at the end'
