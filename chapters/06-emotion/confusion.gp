# The final network's PrivateTest confusion matrix, each row (true emotion) normalised to
# 100%: cell colour and label are the percentage of that emotion's faces given each label.
# Set by the Makefile: terminal, output, and `db` (the results database).

cells = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT c.predicted, c.truth, coalesce(100.0 * c.count / nullif((SELECT sum(count) \
         FROM confusion t WHERE t.run_id = c.run_id AND t.truth = c.truth), 0), 0) \
  FROM confusion c \
  WHERE c.run_id = (SELECT max(id) FROM latest_runs WHERE chapter = '06-emotion' AND experiment = 'final') \
  ORDER BY c.truth, c.predicted\"", db)

set xrange [-0.5:6.5]
set yrange [6.5:-0.5]
set cbrange [0:100]
set size ratio -1
set xlabel 'predicted'
set ylabel 'true emotion'
set xtics ('angry' 0, 'disgust' 1, 'fear' 2, 'happy' 3, 'sad' 4, 'surprise' 5, 'neutral' 6) rotate by 30 right
set ytics ('angry' 0, 'disgust' 1, 'fear' 2, 'happy' 3, 'sad' 4, 'surprise' 5, 'neutral' 6)
set cblabel '% of the row'
set palette defined (0 '#ffffff', 30 '#9ecae1', 100 '#08306b')
unset key
set tics nomirror out scale 0.5

plot cells using 1:2:3 with image, \
     cells using 1:2:(sprintf('%.0f', $3)):($3 > 55 ? 16777215 : 0) with labels font ',9' tc rgb variable
