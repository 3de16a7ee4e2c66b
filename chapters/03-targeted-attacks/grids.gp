# The three 10 x 3 grids side by side (targeted FGSM and PGD at the chapter's eps, and
# Carlini-Wagner): each PNG the program wrote (original | delta | adversarial; rows are the
# first attacked 2s that all three methods turned into a 6), with column headers, each row's
# class on model A and its probability of '6' at the right, and under the delta column its
# colour scale: full blue and full red are -r and +r, r the 99th percentile of |delta| over
# the grid (metric grid_range_METHOD), values beyond it drawn at full colour.
# Set by the Makefile: terminal, output, and `db` (the results database).
ch = '03-targeted-attacks'
run = "(SELECT max(id) FROM latest_runs WHERE chapter = '03-targeted-attacks' AND experiment = 'attacks')"
sql1(s) = system(sprintf("sqlite3 -readonly '%s' \"%s\"", db, s))
metric(name) = real(sql1(sprintf("SELECT value FROM metrics WHERE run_id = %s AND name = '%s'", run, name)))
rows = metric('grid_rows')
if (rows < 1) { print 'grids.gp: no grid rows recorded'; exit status 1 }
GW = metric('grid_width'); GH = metric('grid_height'); gs = metric('grid_scale'); gp = metric('grid_pad')
cell = 28 * gs
epsg = sql1("SELECT json_extract(config_json, '$.eps_grid') FROM latest_runs WHERE id = ".run)
col_x(c) = gp + c * (cell + gp) + cell / 2.0
row_y(r) = GH - (gp + r * (cell + gp) + cell / 2.0)
# Row labels: the class model A gives the adversarial (6 for a success) and its p(6), in
# double quotes (char(34)) so that gnuplot reads the text with its space as one column.
caps(m) = sprintf("< sqlite3 -readonly -separator ' ' '%s' \"\
  SELECT CAST(substr(g.name, 13) AS INTEGER), \
         char(34) || CASE a.success WHEN 1 THEN '6' ELSE 'not 6' END || printf('  %%.2f', a.confidence) || char(34) \
  FROM metrics g JOIN attacks a ON a.run_id = g.run_id AND a.sample = g.value \
  WHERE g.run_id = %s AND g.name LIKE 'grid_sample_%%' AND a.method = '%s' \
    AND (a.method = 'cw' OR a.eps = %s)\"", db, run, m, epsg)

unset key
unset border
unset tics
unset colorbox
set size ratio -1
set palette defined (-1 '#0000ff', 0 '#ffffff', 1 '#ff0000')
set cbrange [-1:1]
set xrange [-4 : GW + 96]
set yrange [-44 : GH + 52]
set urange [-1:1]
set vrange [0:1]
set isosamples 64, 2
strip_x(u) = col_x(1) - cell / 2.0 + (u + 1) / 2 * cell
strip_y(v) = -22 + 12 * v

methods = 'fgsm pgd cw'
set multiplot layout 1, 3 margins 0.01, 0.99, 0.02, 0.98 spacing 0.01, 0
do for [i = 1:3] {
  m = word(methods, i)
  t = i == 1 ? sprintf('FGSM, eps = %s', epsg) : i == 2 ? sprintf('PGD, eps = %s', epsg) : 'Carlini-Wagner'
  path = sql1("SELECT path FROM artifacts WHERE run_id = ".run." AND kind = 'image' AND path LIKE '%-grid-".m.".png'")
  if (strlen(path) == 0) { print 'grids.gp: no grid image for '.m; exit status 1 }
  r = metric('grid_range_'.m)
  unset label
  set label 1 t at GW / 2.0, GH + 40 center font ',9'
  set label 2 'original' at col_x(0), GH + 14 center font ',7'
  set label 3 'delta' at col_x(1), GH + 14 center font ',7'
  set label 4 'adversarial' at col_x(2), GH + 14 center font ',7'
  set label 5 'class, p(6)' at GW + 6, GH + 14 left font ',7'
  set label 6 sprintf('-%.2f', r) at col_x(1) - cell / 2.0, -36 center font ',6'
  set label 7 sprintf('+%.2f', r) at col_x(1) + cell / 2.0, -36 center font ',6'
  set label 8 '0' at col_x(1), -36 center font ',6'
  plot path binary filetype=png with rgbimage, \
       '++' using (strip_x($1)):(strip_y($2)):1 with image, \
       caps(m) using (GW + 6):(row_y($1)):2 with labels left font ',7' tc rgb '#202020'
}
unset multiplot
