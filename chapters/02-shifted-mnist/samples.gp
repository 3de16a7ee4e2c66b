# The same test digits under every variant of the test set (columns), and the two canonical
# forms a model can compute from a changed image: t2's pixels sorted, t4's image recentred.
# Pixels come from the `samples` table, which the experiment fills (one row per pixel); a
# three-column white gap separates the digits of a column.
# Set by the Makefile: terminal, output, and `db` (the results database).

array SETS[7] = ['clean', 't1', 't2', 't3', 't4', 't2-sorted', 't4-recentred']
array TITLES[7] = ["clean", "t1", "t2", "t3", "t4", "t2\nsorted", "t4\nrecentred"]
strip(set) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT x, -(sample * 31 + y), value FROM latest_samples \
  WHERE chapter = '02-shifted-mnist' AND set_name = '%s' \
  UNION ALL SELECT x, -(sample * 31 + 28 + y), 1 FROM latest_samples \
  WHERE chapter = '02-shifted-mnist' AND set_name = '%s' AND y < 3 \
  ORDER BY 2 DESC, 1\"", db, set, set)

set multiplot layout 1,7 margins 0.01, 0.99, 0.01, 0.88 spacing 0.012, 0
unset key
unset border
unset xtics
unset ytics
unset colorbox
set palette gray
set cbrange [0:1]
set size ratio -1
do for [k = 1:7] {
    set title TITLES[k] offset 0, -0.5
    plot strip(SETS[k]) using 1:2:3 with image
}
unset multiplot
